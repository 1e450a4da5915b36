// Builds Kinesis Producer Library aggregates for tests and benchmarks, so de-aggregation can be
// exercised without the KPL's native binary. The protobuf is written by hand here, apart from
// core's decoder, so the two check each other.
// Format: 4 magic bytes, the AggregatedRecord protobuf, then the MD5 digest of the protobuf.

import { hash } from 'node:crypto'

/** The 4 bytes every KPL aggregate starts with. */
export const KPL_MAGIC: Uint8Array = Uint8Array.of(0xf3, 0x89, 0x9a, 0xc2)

/** One user record to put inside an aggregate. */
export interface KplUserRecord {
  /** Payload; a string is written as its UTF-8 bytes. */
  readonly data: Uint8Array | string
  readonly partitionKey: string
  /** Decimal 128-bit hash key that overrides the partition key's hash. */
  readonly explicitHashKey?: string
}

/** A Kinesis record carrying an aggregate, ready for PutRecord / PutRecords. */
export interface KplAggregate {
  readonly data: Uint8Array
  readonly partitionKey: string
  readonly explicitHashKey?: string
}

/** A `Tag` of the KPL's protobuf (the KPL writes none today; decoders must skip them). */
export interface KplRawTag {
  /** Left out of the bytes when absent (invalid: it is required). */
  readonly key?: string
  readonly value?: string
}

/**
 * One `Record` of the KPL's protobuf, written as given: indexes are not checked against the
 * tables and required fields may be left out, so tests can build malformed aggregates.
 */
export interface KplRawRecord {
  /** Index into `partitionKeyTable`; left out of the bytes when absent (invalid: it is required). */
  readonly partitionKeyIndex?: number
  /** Index into `explicitHashKeyTable`. */
  readonly explicitHashKeyIndex?: number
  /** Payload; left out of the bytes when absent (invalid: it is required). */
  readonly data?: Uint8Array
  readonly tags?: readonly KplRawTag[]
}

/** The KPL's `AggregatedRecord` protobuf message, field by field. */
export interface KplRawAggregate {
  readonly partitionKeyTable: readonly string[]
  /** @defaultValue `[]` */
  readonly explicitHashKeyTable?: readonly string[]
  readonly records: readonly KplRawRecord[]
}

/** Options of {@link aggregateRecords}. */
export interface AggregateOptions {
  /**
   * Partition key of the Kinesis record that carries the aggregate.
   * @defaultValue the first user record's partition key (the KPL's choice), or `'kpl-aggregate'` when there is none
   */
  readonly partitionKey?: string
  /**
   * Explicit hash key of the Kinesis record that carries the aggregate.
   * @defaultValue the first user record's explicit hash key, if it has one
   */
  readonly explicitHashKey?: string
}

/** How {@link corruptAggregate} breaks an aggregate. */
export type KplCorruption =
  /** the MD5 digest no longer matches the protobuf */
  | 'digest'
  /** the first magic byte is changed */
  | 'magic'
  /** the protobuf loses its last byte, under a digest recomputed to match, so only the protobuf is bad */
  | 'truncated-protobuf'

const utf8 = new TextEncoder()

function varintSize(value: number): number {
  let size = 1
  while (value >= 0x80) {
    value = Math.floor(value / 0x80)
    size++
  }
  return size
}

// Sizes are computed first so the message is written into one buffer without growing it.
class ProtoWriter {
  readonly bytes: Uint8Array
  private pos = 0

  constructor(size: number) {
    this.bytes = new Uint8Array(size)
  }

  // Division rather than bit operations, so indexes beyond 2^32 can be written too.
  varint(value: number): void {
    while (value >= 0x80) {
      this.bytes[this.pos++] = (value % 0x80) | 0x80
      value = Math.floor(value / 0x80)
    }
    this.bytes[this.pos++] = value
  }

  raw(value: Uint8Array): void {
    this.bytes.set(value, this.pos)
    this.pos += value.length
  }

  lengthDelimited(tag: number, value: Uint8Array): void {
    this.varint(tag)
    this.varint(value.length)
    this.raw(value)
  }

  get done(): boolean {
    return this.pos === this.bytes.length
  }
}

// Wire tags: (field number << 3) | wire type (0 varint, 2 length-delimited).
const TAG_KEY = (1 << 3) | 2
const TAG_VALUE = (2 << 3) | 2
const TAG_PARTITION_KEY_INDEX = (1 << 3) | 0
const TAG_EXPLICIT_HASH_KEY_INDEX = (2 << 3) | 0
const TAG_DATA = (3 << 3) | 2
const TAG_TAGS = (4 << 3) | 2
const TAG_PARTITION_KEY_TABLE = (1 << 3) | 2
const TAG_EXPLICIT_HASH_KEY_TABLE = (2 << 3) | 2
const TAG_RECORDS = (3 << 3) | 2

function fieldSize(length: number): number {
  return 1 + varintSize(length) + length
}

function encodeTag(tag: KplRawTag): Uint8Array {
  const key = tag.key === undefined ? undefined : utf8.encode(tag.key)
  const value = tag.value === undefined ? undefined : utf8.encode(tag.value)
  const w = new ProtoWriter(
    (key ? fieldSize(key.length) : 0) + (value ? fieldSize(value.length) : 0),
  )
  if (key) w.lengthDelimited(TAG_KEY, key)
  if (value) w.lengthDelimited(TAG_VALUE, value)
  return w.bytes
}

function encodeRecord(record: KplRawRecord): Uint8Array {
  const tags = (record.tags ?? []).map(encodeTag)
  let size = 0
  if (record.partitionKeyIndex !== undefined) size += 1 + varintSize(record.partitionKeyIndex)
  if (record.explicitHashKeyIndex !== undefined) size += 1 + varintSize(record.explicitHashKeyIndex)
  if (record.data !== undefined) size += fieldSize(record.data.length)
  for (const t of tags) size += fieldSize(t.length)
  const w = new ProtoWriter(size)
  if (record.partitionKeyIndex !== undefined) {
    w.varint(TAG_PARTITION_KEY_INDEX)
    w.varint(record.partitionKeyIndex)
  }
  if (record.explicitHashKeyIndex !== undefined) {
    w.varint(TAG_EXPLICIT_HASH_KEY_INDEX)
    w.varint(record.explicitHashKeyIndex)
  }
  if (record.data !== undefined) w.lengthDelimited(TAG_DATA, record.data)
  for (const t of tags) w.lengthDelimited(TAG_TAGS, t)
  return w.bytes
}

/** Encodes an `AggregatedRecord` protobuf message (no magic, no digest): see {@link frameAggregate}. */
export function encodeAggregatedRecord(message: KplRawAggregate): Uint8Array {
  const pks = message.partitionKeyTable.map((k) => utf8.encode(k))
  const ehks = (message.explicitHashKeyTable ?? []).map((k) => utf8.encode(k))
  const records = message.records.map(encodeRecord)
  let size = 0
  for (const part of [pks, ehks, records]) for (const b of part) size += fieldSize(b.length)
  const w = new ProtoWriter(size)
  for (const b of pks) w.lengthDelimited(TAG_PARTITION_KEY_TABLE, b)
  for (const b of ehks) w.lengthDelimited(TAG_EXPLICIT_HASH_KEY_TABLE, b)
  for (const b of records) w.lengthDelimited(TAG_RECORDS, b)
  if (!w.done) throw new Error('kpl-encoder: size mismatch (a bug in the encoder)')
  return w.bytes
}

/** Wraps protobuf bytes as a KPL aggregate: magic, the bytes, their MD5 digest. */
export function frameAggregate(protobuf: Uint8Array): Uint8Array {
  const out = new Uint8Array(KPL_MAGIC.length + protobuf.length + 16)
  out.set(KPL_MAGIC, 0)
  out.set(protobuf, KPL_MAGIC.length)
  out.set(hash('md5', protobuf, 'buffer'), KPL_MAGIC.length + protobuf.length)
  return out
}

/**
 * Packs user records into one Kinesis record the way the KPL does: partition keys and explicit
 * hash keys de-duplicated into tables, user records in the order given.
 */
export function aggregateRecords(
  records: readonly KplUserRecord[],
  options: AggregateOptions = {},
): KplAggregate {
  const pkIndex = new Map<string, number>()
  const ehkIndex = new Map<string, number>()
  const indexOf = (table: Map<string, number>, key: string): number => {
    let i = table.get(key)
    if (i === undefined) table.set(key, (i = table.size))
    return i
  }
  const raw: KplRawRecord[] = records.map((r) => ({
    partitionKeyIndex: indexOf(pkIndex, r.partitionKey),
    ...(r.explicitHashKey === undefined
      ? {}
      : { explicitHashKeyIndex: indexOf(ehkIndex, r.explicitHashKey) }),
    data: typeof r.data === 'string' ? utf8.encode(r.data) : r.data,
  }))
  const data = frameAggregate(
    encodeAggregatedRecord({
      partitionKeyTable: [...pkIndex.keys()],
      explicitHashKeyTable: [...ehkIndex.keys()],
      records: raw,
    }),
  )
  const first = records[0]
  const explicitHashKey = options.explicitHashKey ?? first?.explicitHashKey
  return {
    data,
    partitionKey: options.partitionKey ?? first?.partitionKey ?? 'kpl-aggregate',
    ...(explicitHashKey === undefined ? {} : { explicitHashKey }),
  }
}

/** Returns a broken copy of an aggregate's data (the input is left as it was). */
export function corruptAggregate(data: Uint8Array, how: KplCorruption): Uint8Array {
  if (data.length < KPL_MAGIC.length + 16) throw new Error('kpl-encoder: not an aggregate')
  switch (how) {
    case 'digest': {
      const out = data.slice()
      out[out.length - 1] = (out[out.length - 1] ?? 0) ^ 0xff
      return out
    }
    case 'magic': {
      const out = data.slice()
      out[0] = (out[0] ?? 0) ^ 0xff
      return out
    }
    case 'truncated-protobuf': {
      const protobuf = data.subarray(KPL_MAGIC.length, data.length - 16)
      if (protobuf.length === 0)
        throw new Error('kpl-encoder: an empty protobuf cannot be truncated')
      return frameAggregate(protobuf.subarray(0, protobuf.length - 1))
    }
  }
}
