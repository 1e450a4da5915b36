// aws-kinesis-agg (AWS's Node.js module for the KPL aggregated format) behind a small typed
// surface, for the agreement tests: its encoder makes the aggregates, its decoder is the reference
// kine's decoder is compared with. Nothing here is kine code, so the two check each other.
import { createHash } from 'node:crypto'
import agg from 'aws-kinesis-agg'

/** A user record to aggregate, as aws-kinesis-agg takes it. */
export interface AggInput {
  readonly partitionKey: string
  readonly data: Uint8Array
  readonly explicitHashKey?: string
}

/** One aggregate from aws-kinesis-agg: the Kinesis record to put, and what went into it. */
export interface AggAggregate {
  readonly data: Uint8Array
  readonly partitionKey: string
  readonly explicitHashKey: string | undefined
  readonly inputs: readonly AggInput[]
}

/** A user record as aws-kinesis-agg's deaggregateSync reports it, data back to bytes. */
export interface AggUserRecord {
  readonly partitionKey: string
  readonly explicitHashKey: string | undefined
  readonly sequenceNumber: string
  readonly subSequenceNumber: number | undefined
  readonly data: Uint8Array
}

interface Aggregator {
  addUserRecord(record: { partitionKey: string; data: Buffer; explicitHashKey?: string }): void
  checkIfUserRecordFits(record: {
    partitionKey: string
    data: Buffer
    explicitHashKey?: string
  }): boolean
  build(): { partitionKey: string; data: Buffer; ExplicitHashKey?: string } | undefined
}

// The package's types leave out RecordAggregator, its synchronous builder.
const RecordAggregator = (agg as unknown as { RecordAggregator: new () => Aggregator })
  .RecordAggregator

const toBuffer = (data: Uint8Array): Buffer =>
  Buffer.from(data.buffer, data.byteOffset, data.byteLength)

/**
 * Aggregates `inputs` in order with aws-kinesis-agg, starting a new aggregate whenever the next
 * one would not fit its 1 MiB budget, as its own `aggregate()` does.
 */
export function aggAggregate(inputs: readonly AggInput[]): AggAggregate[] {
  const out: AggAggregate[] = []
  let aggregator = new RecordAggregator()
  let pending: AggInput[] = []
  const flush = (): void => {
    const built = aggregator.build()
    if (built === undefined) return
    out.push({
      data: new Uint8Array(built.data),
      partitionKey: built.partitionKey,
      explicitHashKey: built.ExplicitHashKey,
      inputs: pending,
    })
    aggregator = new RecordAggregator()
    pending = []
  }
  for (const input of inputs) {
    const record = {
      partitionKey: input.partitionKey,
      data: toBuffer(input.data),
      ...(input.explicitHashKey === undefined ? {} : { explicitHashKey: input.explicitHashKey }),
    }
    if (!aggregator.checkIfUserRecordFits(record)) flush()
    aggregator.addUserRecord(record)
    pending.push(input)
  }
  flush()
  return out
}

/** aws-kinesis-agg's deaggregateSync of one SDK v3 record, with checksums checked. */
export function aggDeaggregate(record: {
  readonly Data: Uint8Array
  readonly PartitionKey: string
  readonly SequenceNumber: string
}): AggUserRecord[] {
  let result: AggUserRecord[] | undefined
  agg.deaggregateSync(record, true, (error, users) => {
    if (error) throw error
    result = ((users ?? []) as unknown as Record<string, unknown>[]).map((u) => ({
      partitionKey: u.PartitionKey as string,
      explicitHashKey: u.ExplicitPartitionKey as string | undefined,
      sequenceNumber: u.SequenceNumber as string,
      subSequenceNumber: u.SubSequenceNumber as number | undefined,
      // User records' data come back base64; a plain record's, as given.
      data:
        typeof u.Data === 'string'
          ? new Uint8Array(Buffer.from(u.Data, 'base64'))
          : (u.Data as Uint8Array),
    }))
  })
  if (result === undefined) throw new Error('aws-kinesis-agg did not call back')
  return result
}

/** A short digest of bytes, so a failing comparison of 1 MiB records prints something readable. */
export function digest(data: Uint8Array): string {
  return `${data.byteLength}:${createHash('sha1').update(data).digest('hex').slice(0, 16)}`
}
