// One output line per record, in the format `kine pull --format` chose.

import type { KineRecord } from '@kine/core'

/** The `--format` values. */
export const RECORD_FORMATS = ['text', 'base64', 'json'] as const
export type RecordFormat = (typeof RECORD_FORMATS)[number]

/** A record as a `--format json` line. */
interface RecordJson {
  readonly shardId: string
  readonly partitionKey: string
  readonly sequenceNumber: string
  readonly subSequenceNumber: number
  /** ISO 8601. */
  readonly approximateArrivalTimestamp: string
  readonly explicitHashKey?: string
  /** True when the record came out of a KPL aggregate. */
  readonly aggregated: boolean
  /** `utf8` when the data is valid UTF-8 (then `data` is that text), else `base64`. */
  readonly encoding: 'utf8' | 'base64'
  readonly data: string
}

const strictUtf8 = new TextDecoder('utf-8', { fatal: true })

function base64(data: Uint8Array): string {
  // A view over the SDK's bytes, not a copy.
  return Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString('base64')
}

/** The JSON object of `--format json` for one record. */
function recordJson(record: KineRecord): RecordJson {
  let text: string | undefined
  try {
    text = strictUtf8.decode(record.data)
  } catch {
    text = undefined
  }
  return {
    shardId: record.shardId,
    partitionKey: record.partitionKey,
    sequenceNumber: record.sequenceNumber,
    subSequenceNumber: record.subSequenceNumber,
    approximateArrivalTimestamp: record.approximateArrivalTimestamp.toISOString(),
    ...(record.explicitHashKey === undefined ? {} : { explicitHashKey: record.explicitHashKey }),
    aggregated: record.aggregated,
    encoding: text === undefined ? 'base64' : 'utf8',
    data: text ?? base64(record.data),
  }
}

/**
 * The line (with its newline) for one record. `text` writes the data as UTF-8 as the original
 * did, so data that itself holds newlines spans several lines: use `base64` or `json` for such data.
 */
export function recordLine(record: KineRecord, format: RecordFormat): string {
  switch (format) {
    case 'text':
      return `${Buffer.from(record.data.buffer, record.data.byteOffset, record.data.byteLength).toString('utf8')}\n`
    case 'base64':
      return `${base64(record.data)}\n`
    case 'json':
      return `${JSON.stringify(recordJson(record))}\n`
  }
}
