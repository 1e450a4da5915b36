// One stream of the in-memory Kinesis: its shards (hash-key ranges, parent links, sequence-number
// ranges), the records in each, and resharding as Kinesis does it: a split or merge closes its
// parents and opens children covering the same hash keys, with higher shard ids and sequence
// numbers than everything before.

import { createHash } from 'node:crypto'

/** The largest hash key (2^128 - 1). */
export const MAX_HASH_KEY: bigint = (1n << 128n) - 1n

// Kinesis sequence numbers are decimal strings of 56 digits here; each new one is larger.
const SEQUENCE_BASE = 49_590_338_271_490_256_608_559_692_538_361_571_095_921_575_989_136_588_000n

/** One record as stored. */
export interface StoredRecord {
  readonly sequenceNumber: string
  readonly partitionKey: string
  readonly data: Uint8Array
  /** Wall-clock milliseconds it arrived. */
  readonly arrivedAt: number
}

/** One shard as stored. */
export interface StoredShard {
  readonly shardId: string
  readonly parentShardId: string | undefined
  readonly adjacentParentShardId: string | undefined
  readonly startingHashKey: bigint
  readonly endingHashKey: bigint
  readonly startingSequenceNumber: string
  /** Set once the shard is closed (split or merged). */
  endingSequenceNumber: string | undefined
  readonly records: StoredRecord[]
}

/** Where a test puts a record: by partition key (as Kinesis routes), explicit hash key, or shard. */
export type RecordTarget =
  | { readonly partitionKey: string; readonly explicitHashKey?: string }
  | { readonly shardId: string; readonly partitionKey?: string }

export class InMemoryStream {
  readonly name: string
  readonly arn: string
  readonly createdAt: Date
  readonly shards: StoredShard[] = []
  #nextSequence = 0n

  constructor(name: string, shardCount: number, createdAt: Date) {
    this.name = name
    this.arn = `arn:aws:kinesis:us-east-1:000000000000:stream/${name}`
    this.createdAt = createdAt
    const width = (MAX_HASH_KEY + 1n) / BigInt(shardCount)
    for (let i = 0; i < shardCount; i++) {
      const start = width * BigInt(i)
      const end = i === shardCount - 1 ? MAX_HASH_KEY : start + width - 1n
      this.#open(start, end, undefined, undefined)
    }
  }

  shard(shardId: string): StoredShard | undefined {
    return this.shards.find((s) => s.shardId === shardId)
  }

  openShards(): StoredShard[] {
    return this.shards.filter((s) => s.endingSequenceNumber === undefined)
  }

  /** Appends a record to the open shard that `target` routes to. */
  put(
    data: Uint8Array,
    target: RecordTarget,
    arrivedAt: number,
  ): StoredRecord & { shardId: string } {
    let shard: StoredShard | undefined
    if ('shardId' in target) {
      shard = this.shard(target.shardId)
      if (shard === undefined) throw new Error(`no shard ${target.shardId} in ${this.name}`)
    } else {
      const hashKey =
        target.explicitHashKey !== undefined
          ? BigInt(target.explicitHashKey)
          : BigInt(`0x${createHash('md5').update(target.partitionKey).digest('hex')}`)
      shard = this.openShards().find(
        (s) => s.startingHashKey <= hashKey && hashKey <= s.endingHashKey,
      )
    }
    if (shard === undefined || shard.endingSequenceNumber !== undefined) {
      throw new Error(`cannot put into a closed shard (${shard?.shardId ?? '?'})`)
    }
    const record: StoredRecord = {
      sequenceNumber: this.#sequence(),
      partitionKey: target.partitionKey ?? `pk-${shard.records.length}`,
      data,
      arrivedAt,
    }
    shard.records.push(record)
    return { ...record, shardId: shard.shardId }
  }

  /** Splits an open shard at `newStartingHashKey` (default: the middle of its range). */
  split(shardId: string, newStartingHashKey?: bigint): [StoredShard, StoredShard] {
    const parent = this.#openShard(shardId)
    const at = newStartingHashKey ?? (parent.startingHashKey + parent.endingHashKey + 1n) / 2n
    if (at <= parent.startingHashKey || at > parent.endingHashKey) {
      throw new Error(`hash key ${at} does not split ${shardId}`)
    }
    this.#close(parent)
    return [
      this.#open(parent.startingHashKey, at - 1n, shardId, undefined),
      this.#open(at, parent.endingHashKey, shardId, undefined),
    ]
  }

  /** Merges two open shards with adjacent hash-key ranges into one. */
  merge(shardId: string, adjacentShardId: string): StoredShard {
    const a = this.#openShard(shardId)
    const b = this.#openShard(adjacentShardId)
    const [low, high] = a.startingHashKey < b.startingHashKey ? [a, b] : [b, a]
    if (low.endingHashKey + 1n !== high.startingHashKey) {
      throw new Error(`${shardId} and ${adjacentShardId} are not adjacent`)
    }
    this.#close(a)
    this.#close(b)
    return this.#open(low.startingHashKey, high.endingHashKey, shardId, adjacentShardId)
  }

  /** The shards whose parent or adjacent parent is `shardId`. */
  childrenOf(shardId: string): StoredShard[] {
    return this.shards.filter(
      (s) => s.parentShardId === shardId || s.adjacentParentShardId === shardId,
    )
  }

  #openShard(shardId: string): StoredShard {
    const shard = this.shard(shardId)
    if (shard === undefined || shard.endingSequenceNumber !== undefined) {
      throw new Error(`${shardId} is not an open shard of ${this.name}`)
    }
    return shard
  }

  #open(
    start: bigint,
    end: bigint,
    parent: string | undefined,
    adjacentParent: string | undefined,
  ): StoredShard {
    const shard: StoredShard = {
      shardId: `shardId-${String(this.shards.length).padStart(12, '0')}`,
      parentShardId: parent,
      adjacentParentShardId: adjacentParent,
      startingHashKey: start,
      endingHashKey: end,
      startingSequenceNumber: this.#sequence(),
      endingSequenceNumber: undefined,
      records: [],
    }
    this.shards.push(shard)
    return shard
  }

  #close(shard: StoredShard): void {
    shard.endingSequenceNumber = this.#sequence()
  }

  #sequence(): string {
    const n = SEQUENCE_BASE + this.#nextSequence * 1000n
    this.#nextSequence += 1n
    return n.toString()
  }
}
