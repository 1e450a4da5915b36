// KPL aggregates made by aws-kinesis-agg (AWS's Node.js module for the format), in the shape
// GetRecords returns them, for the decoder comparison: an encoder independent of kine's own.
import { randomBytes } from 'node:crypto'
import agg from 'aws-kinesis-agg'

/** A Kinesis record as the SDK v3 gives it, carrying one aggregate. */
export interface SdkRecord {
  readonly Data: Uint8Array
  readonly PartitionKey: string
  readonly SequenceNumber: string
  readonly ApproximateArrivalTimestamp: Date
}

/** What aws-kinesis-agg's encoder hands back for one aggregate. */
interface EncodedRecord {
  readonly partitionKey: string
  readonly data: Buffer
}

interface Aggregator {
  addUserRecord(record: { partitionKey: string; data: Buffer; explicitHashKey?: string }): void
  checkIfUserRecordFits(record: { partitionKey: string; data: Buffer }): boolean
  build(): EncodedRecord | undefined
  length(): number
}

// The package's types omit RecordAggregator, which builds aggregates synchronously.
const RecordAggregator = (agg as unknown as { RecordAggregator: new () => Aggregator })
  .RecordAggregator

/**
 * Aggregates of `recordBytes`-byte user records (random bytes, a partition key per 10 records),
 * each as full as aws-kinesis-agg makes them (up to 1 MiB), until `totalBytes` of user data.
 */
export function buildAggregates(recordBytes: number, totalBytes: number): SdkRecord[] {
  const payloads = Array.from({ length: 16 }, () => randomBytes(recordBytes))
  const out: SdkRecord[] = []
  const aggregator = new RecordAggregator()
  const flush = (): void => {
    const encoded = aggregator.build()
    if (encoded === undefined) return
    out.push({
      Data: new Uint8Array(encoded.data.buffer, encoded.data.byteOffset, encoded.data.byteLength),
      PartitionKey: encoded.partitionKey,
      SequenceNumber: (49_000_000_000_000_000_000_000_000_000_000n + BigInt(out.length)).toString(),
      ApproximateArrivalTimestamp: new Date(),
    })
  }
  for (let i = 0, bytes = 0; bytes < totalBytes; i++, bytes += recordBytes) {
    const record = { partitionKey: `pk-${Math.floor(i / 10)}`, data: payloads[i % 16] as Buffer }
    if (!aggregator.checkIfUserRecordFits(record)) flush()
    aggregator.addUserRecord(record)
  }
  flush()
  return out
}
