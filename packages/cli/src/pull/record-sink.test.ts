import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Writable } from 'node:stream'
import { afterAll, describe, expect, it } from 'vitest'
import { folderSink, OutputClosedError, streamSink, writeWithBackpressure } from './record-sink.js'

const dir = mkdtempSync(join(tmpdir(), 'kine-cli-sink-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

/** A destination that takes one chunk and then nothing until released (a stalled pipe). */
function stalled(): { stream: Writable; received: string[]; release: () => void } {
  const received: string[] = []
  const pending: (() => void)[] = []
  const stream = new Writable({
    highWaterMark: 8,
    write(chunk: Buffer, _encoding, callback) {
      received.push(chunk.toString())
      pending.push(() => callback())
    },
  })
  return { stream, received, release: () => pending.splice(0).forEach((done) => done()) }
}

describe('writeWithBackpressure', () => {
  it('resolves only once a full destination has drained', async () => {
    const { stream, received, release } = stalled()
    let done = false
    const write = writeWithBackpressure(stream, 'a line longer than eight\n').then(
      () => (done = true),
    )
    await new Promise((r) => setTimeout(r, 20))
    expect(received).toEqual(['a line longer than eight\n'])
    expect(done).toBe(false)
    release()
    await write
    expect(done).toBe(true)
  })

  it('rejects with OutputClosedError once the destination is gone (a closed pipe)', async () => {
    const { stream } = stalled()
    const write = writeWithBackpressure(stream, 'x'.repeat(20))
    stream.destroy(Object.assign(new Error('write EPIPE'), { code: 'EPIPE' }))
    await expect(write).rejects.toBeInstanceOf(OutputClosedError)
    await expect(streamSink(stream).write('s', 'more\n')).rejects.toBeInstanceOf(OutputClosedError)
  })
})

describe('folderSink', () => {
  it('appends each shard to <folder>/<shardId>.json, creating the folder', async () => {
    const folder = join(dir, 'nested', 'out')
    const first = await folderSink(folder)
    await first.write('shardId-000000000000', 'a\nb\n')
    await first.write('shardId-000000000001', 'x\n')
    await first.close()
    const second = await folderSink(folder)
    await second.write('shardId-000000000000', 'c\n')
    await second.close()
    expect(readFileSync(join(folder, 'shardId-000000000000.json'), 'utf8')).toBe('a\nb\nc\n')
    expect(readFileSync(join(folder, 'shardId-000000000001.json'), 'utf8')).toBe('x\n')
  })

  it('refuses a path that is a file', async () => {
    const file = join(dir, 'a-file')
    writeFileSync(file, '')
    await expect(folderSink(file)).rejects.toThrow('exists and is not a folder')
  })
})
