// Where `kine pull` writes its lines: stdout, or one file per shard. Writes resolve only once the
// destination can take more, so a slow consumer (a pipe, a disk) slows the reads down instead of
// piling records up in memory.

import { createWriteStream, type WriteStream } from 'node:fs'
import { mkdir, stat } from 'node:fs/promises'
import { join } from 'node:path'
import type { Writable } from 'node:stream'
import { InvalidConfigError } from '@kine/core'

/** A destination for record lines. */
export interface RecordSink {
  /** Writes `chunk` (whole lines) for `shardId`; resolves when the destination has room again. */
  write(shardId: string, chunk: string): Promise<void>
  /** Flushes and closes what the sink opened; resolves once every byte is handed to the OS. */
  close(): Promise<void>
}

/** The error a sink gives once its destination is gone (a closed pipe): the pull ends quietly. */
export class OutputClosedError extends Error {
  override readonly name: string = 'OutputClosedError'
}

function closedOr(error: Error): Error {
  return (error as { code?: unknown }).code === 'EPIPE'
    ? new OutputClosedError('output closed', { cause: error })
    : error
}

/** Writes `chunk` and waits for `drain` when the stream's buffer is full; rejects if the stream fails. */
export function writeWithBackpressure(stream: Writable, chunk: string): Promise<void> {
  if (stream.destroyed || stream.writableEnded) {
    return Promise.reject(new OutputClosedError('output closed'))
  }
  if (stream.write(chunk)) return Promise.resolve()
  return new Promise((resolve, reject) => {
    const done = (error?: Error): void => {
      stream.off('drain', onDrain)
      stream.off('error', onError)
      stream.off('close', onClose)
      if (error === undefined) resolve()
      else reject(closedOr(error))
    }
    const onDrain = (): void => done()
    const onError = (error: Error): void => done(error)
    const onClose = (): void => done(new OutputClosedError('output closed'))
    stream.on('drain', onDrain)
    stream.on('error', onError)
    stream.on('close', onClose)
  })
}

/** All shards' lines to one stream (stdout), in the order they arrive. */
export function streamSink(stream: Writable): RecordSink {
  return {
    write: (_shardId, chunk) => writeWithBackpressure(stream, chunk),
    close: () => Promise.resolve(),
  }
}

/**
 * One file per shard in `folder`, named `<shardId>.json` and appended to if it exists
 * (as the original's `-o`). The folder is created when missing.
 */
export async function folderSink(
  folder: string,
): Promise<RecordSink & { readonly folder: string }> {
  const existing = await stat(folder).catch(() => undefined)
  if (existing !== undefined && !existing.isDirectory()) {
    throw new InvalidConfigError('flags', [`-o ${folder}: exists and is not a folder`])
  }
  await mkdir(folder, { recursive: true })
  const files = new Map<string, WriteStream>()
  const failures: Error[] = []
  const open = (shardId: string): WriteStream => {
    let file = files.get(shardId)
    if (file === undefined) {
      // A shard id never holds a path separator, but a file name must not come from a server unchecked.
      const name = `${shardId.replace(/[^A-Za-z0-9._-]/g, '_')}.json`
      file = createWriteStream(join(folder, name), { flags: 'a' })
      file.on('error', (error) => failures.push(error))
      files.set(shardId, file)
    }
    return file
  }
  return {
    folder,
    write: (shardId, chunk) => {
      const first = failures[0]
      if (first !== undefined) return Promise.reject(first)
      return writeWithBackpressure(open(shardId), chunk)
    },
    close: async () => {
      await Promise.all(
        [...files.values()].map(
          (file) =>
            new Promise<void>((resolve) => {
              if (file.closed || file.destroyed) {
                resolve()
                return
              }
              file.end(() => resolve())
              // An error closes the stream without 'finish': resolve then too; it is in `failures`.
              file.once('close', () => resolve())
            }),
        ),
      )
      const first = failures[0]
      if (first !== undefined) throw first
    },
  }
}
