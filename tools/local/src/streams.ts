import {
  CreateStreamCommand,
  DescribeStreamSummaryCommand,
  PutRecordsCommand,
  ResourceNotFoundException,
  type KinesisClient,
  type PutRecordsRequestEntry,
} from '@aws-sdk/client-kinesis'
import { setTimeout as sleep } from 'node:timers/promises'

const pollMs = 50
const maxRecordsPerCall = 500
const maxBytesPerCall = 5 * 1024 * 1024
const maxPutAttempts = 10

/** Options of {@link createStream} and {@link waitForStreamActive}. */
export interface StreamWaitOptions {
  /** @defaultValue 30000 */
  readonly timeoutMs?: number
}

/**
 * Resolves once the stream is ACTIVE, polling every 50 ms (the SDK's waiter polls every second or
 * more, which dominates short tests). Rejects after `timeoutMs`.
 */
export async function waitForStreamActive(
  kinesis: KinesisClient,
  name: string,
  options: StreamWaitOptions = {},
): Promise<void> {
  const timeoutMs = options.timeoutMs ?? 30_000
  const deadline = Date.now() + timeoutMs
  let status = 'NOT FOUND'
  for (;;) {
    try {
      const out = await kinesis.send(new DescribeStreamSummaryCommand({ StreamName: name }))
      status = out.StreamDescriptionSummary?.StreamStatus ?? 'UNKNOWN'
      if (status === 'ACTIVE') return
    } catch (error) {
      // Not visible yet right after CreateStream on some emulators: keep polling.
      if (!(error instanceof ResourceNotFoundException)) throw error
    }
    if (Date.now() >= deadline)
      throw new Error(`stream ${name} not ACTIVE after ${timeoutMs} ms (last status ${status})`)
    await sleep(pollMs)
  }
}

/** Creates a provisioned stream with `shardCount` shards and resolves once it is ACTIVE. */
export async function createStream(
  kinesis: KinesisClient,
  name: string,
  shardCount: number,
  options: StreamWaitOptions = {},
): Promise<void> {
  await kinesis.send(new CreateStreamCommand({ StreamName: name, ShardCount: shardCount }))
  await waitForStreamActive(kinesis, name, options)
}

/** One record for {@link putRecords}; string data is sent as UTF-8. */
export interface LocalRecord {
  readonly data: Uint8Array | string
  readonly partitionKey: string
  readonly explicitHashKey?: string
}

/** Where {@link putRecords} stored a record. */
export interface PutResult {
  readonly shardId: string
  readonly sequenceNumber: string
}

function toEntry(record: LocalRecord): PutRecordsRequestEntry {
  return {
    Data: typeof record.data === 'string' ? new TextEncoder().encode(record.data) : record.data,
    PartitionKey: record.partitionKey,
    ...(record.explicitHashKey === undefined ? {} : { ExplicitHashKey: record.explicitHashKey }),
  }
}

function entryBytes(entry: PutRecordsRequestEntry): number {
  return (entry.Data?.byteLength ?? 0) + Buffer.byteLength(entry.PartitionKey ?? '')
}

/**
 * Puts records in PutRecords calls of at most 500 records / 5 MiB, resending the entries a call
 * reports as failed, and resolves with where each record went, in input order.
 */
export async function putRecords(
  kinesis: KinesisClient,
  stream: string,
  records: readonly LocalRecord[],
): Promise<PutResult[]> {
  const results: (PutResult | undefined)[] = new Array<PutResult | undefined>(records.length)
  const entries = records.map(toEntry)
  let start = 0
  while (start < entries.length) {
    let end = start
    let bytes = 0
    while (end < entries.length && end - start < maxRecordsPerCall) {
      const size = entryBytes(entries[end] as PutRecordsRequestEntry)
      if (end > start && bytes + size > maxBytesPerCall) break
      bytes += size
      end++
    }
    await putBatch(kinesis, stream, entries, start, end, results)
    start = end
  }
  return results as PutResult[]
}

async function putBatch(
  kinesis: KinesisClient,
  stream: string,
  entries: readonly PutRecordsRequestEntry[],
  start: number,
  end: number,
  results: (PutResult | undefined)[],
): Promise<void> {
  let pending = Array.from({ length: end - start }, (_, i) => start + i)
  for (let attempt = 1; pending.length > 0; attempt++) {
    const out = await kinesis.send(
      new PutRecordsCommand({
        StreamName: stream,
        Records: pending.map((i) => entries[i] as PutRecordsRequestEntry),
      }),
    )
    const failed: number[] = []
    let lastError = ''
    pending.forEach((index, position) => {
      const result = out.Records?.[position]
      if (
        result?.ShardId !== undefined &&
        result.SequenceNumber !== undefined &&
        result.ErrorCode === undefined
      ) {
        results[index] = { shardId: result.ShardId, sequenceNumber: result.SequenceNumber }
      } else {
        failed.push(index)
        lastError = `${result?.ErrorCode ?? 'no result'}: ${result?.ErrorMessage ?? ''}`
      }
    })
    if (failed.length > 0 && attempt >= maxPutAttempts) {
      throw new Error(
        `${failed.length} records not put to ${stream} after ${attempt} attempts (${lastError})`,
      )
    }
    if (failed.length > 0) await sleep(pollMs * attempt)
    pending = failed
  }
}
