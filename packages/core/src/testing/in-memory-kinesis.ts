// A Kinesis that lives in memory, for tests and simulations of workers reading a stream: it answers
// the commands kine sends (DescribeStreamSummary, ListShards, GetShardIterator, GetRecords) with
// Kinesis's output shapes and the SDK's exception classes, at once and deterministically on the
// given clock, and lets a test put records, split and merge shards and inject faults. Not for
// production use.

import {
  type ChildShard,
  type DescribeStreamSummaryCommand,
  type DescribeStreamSummaryCommandOutput,
  type GetRecordsCommand,
  type GetRecordsCommandOutput,
  type GetShardIteratorCommand,
  type GetShardIteratorCommandOutput,
  type KinesisClient,
  type ListShardsCommand,
  type ListShardsCommandOutput,
  type Shard,
} from '@aws-sdk/client-kinesis'
import { systemClock, type Clock } from '../clock.js'
import { abortError, Faults, underFault } from './faults.js'
import { InMemoryStream, type RecordTarget, type StoredShard } from './in-memory-stream.js'
import { readRecords, startIndex } from './kinesis-reads.js'
import {
  invalidArgument,
  iteratorExpired,
  shardNotFound,
  streamInUse,
  streamNotFound,
} from './kinesis-errors.js'

/** The operations {@link InMemoryKinesis} answers. */
export type InMemoryKinesisOperation =
  'DescribeStreamSummary' | 'ListShards' | 'GetShardIterator' | 'GetRecords'

/** The commands {@link InMemoryKinesis.send} accepts. */
export type InMemoryKinesisCommand =
  DescribeStreamSummaryCommand | ListShardsCommand | GetShardIteratorCommand | GetRecordsCommand

/** Options of {@link InMemoryKinesis}. */
export interface InMemoryKinesisOptions {
  /** Stamps arrival times and ages iterators (5 minutes). @defaultValue systemClock */
  readonly clock?: Clock
}

const OPERATIONS: Record<string, InMemoryKinesisOperation> = {
  DescribeStreamSummaryCommand: 'DescribeStreamSummary',
  ListShardsCommand: 'ListShards',
  GetShardIteratorCommand: 'GetShardIterator',
  GetRecordsCommand: 'GetRecords',
}

/** How long an iterator stays valid, as on Kinesis. */
const ITERATOR_LIFETIME_MS = 5 * 60_000

interface Iterator {
  readonly stream: InMemoryStream
  readonly shard: StoredShard
  /** Index of the next record to return. */
  readonly index: number
  readonly issuedAt: number
}

interface Listing {
  readonly shards: readonly Shard[]
  readonly offset: number
}

/**
 * An in-memory stand-in for a `KinesisClient`, **for tests and simulations only, not for
 * production**: nothing is persisted, and only what kine sends is implemented. It answers
 * DescribeStreamSummary, ListShards (paged, with the `AFTER_SHARD_ID`, `AT_LATEST`,
 * `AT_TRIM_HORIZON` and `FROM_TRIM_HORIZON` filters), GetShardIterator (every iterator type) and
 * GetRecords (`Limit`, `NextShardIterator`, `MillisBehindLatest`, and at a closed shard's end an
 * empty response with `ChildShards` and no `NextShardIterator`). Errors are the SDK's classes
 * (`ResourceNotFoundException`, `ExpiredIteratorException`, `InvalidArgumentException`); others,
 * such as throttling, are injected with {@link InMemoryKinesis.faults}.
 *
 * @example
 * ```ts
 * const kinesis = new InMemoryKinesis({ clock })
 * kinesis.createStream('orders', 2)
 * kinesis.putRecord('orders', 'hello', { partitionKey: 'a' })
 * new ShardReader({ client: kinesis.asClient(), streamName: 'orders', shardId, position: 'TRIM_HORIZON' })
 * ```
 */
export class InMemoryKinesis {
  /** Faults to inject into later calls (a throttled GetRecords, a lost response...). */
  readonly faults: Faults<InMemoryKinesisOperation> = new Faults<InMemoryKinesisOperation>()
  readonly #clock: Clock
  readonly #streams = new Map<string, InMemoryStream>()
  readonly #iterators = new Map<string, Iterator>()
  readonly #listings = new Map<string, Listing>()
  #tokens = 0
  #requests: Record<InMemoryKinesisOperation, number> = emptyRequests()

  constructor(options: InMemoryKinesisOptions = {}) {
    this.#clock = options.clock ?? systemClock
  }

  /** This object typed as a `KinesisClient`, for code that takes one (only `send` works). */
  asClient(): KinesisClient {
    return this as unknown as KinesisClient
  }

  /** Does nothing: there is no connection to close (a `KinesisClient` has `destroy`). */
  destroy(): void {}

  /** Requests answered (refused ones included), by operation. */
  requests(): Readonly<Record<InMemoryKinesisOperation, number>> {
    return { ...this.#requests }
  }

  // ---- what a test does to the stream ----

  /** Creates an active stream of `shardCount` shards splitting the hash-key space evenly. */
  createStream(name: string, shardCount: number): void {
    if (this.#streams.has(name)) throw streamInUse(name)
    if (!Number.isInteger(shardCount) || shardCount < 1) throw new Error('shardCount must be >= 1')
    this.#streams.set(name, new InMemoryStream(name, shardCount, new Date(this.#clock.wallNow())))
  }

  /** Puts one record; resolves where it went. `data` as a string is UTF-8. */
  putRecord(
    streamName: string,
    data: string | Uint8Array,
    target: RecordTarget,
  ): { shardId: string; sequenceNumber: string } {
    const bytes = typeof data === 'string' ? new TextEncoder().encode(data) : data.slice()
    const record = this.#stream(streamName).put(bytes, target, this.#clock.wallNow())
    return { shardId: record.shardId, sequenceNumber: record.sequenceNumber }
  }

  /** Splits an open shard (at the middle of its range unless told); returns the two children's ids. */
  splitShard(streamName: string, shardId: string, newStartingHashKey?: string): [string, string] {
    const [a, b] = this.#stream(streamName).split(
      shardId,
      newStartingHashKey === undefined ? undefined : BigInt(newStartingHashKey),
    )
    return [a.shardId, b.shardId]
  }

  /** Merges two open shards with adjacent ranges; returns the child's id. */
  mergeShards(streamName: string, shardId: string, adjacentShardId: string): string {
    return this.#stream(streamName).merge(shardId, adjacentShardId).shardId
  }

  /** Makes every iterator issued so far expired (as if 5 minutes had passed). */
  expireIterators(): void {
    for (const [token, it] of this.#iterators) {
      this.#iterators.set(token, { ...it, issuedAt: -Infinity })
    }
  }

  // ---- the API ----

  send(
    command: DescribeStreamSummaryCommand,
    options?: { abortSignal?: AbortSignal },
  ): Promise<DescribeStreamSummaryCommandOutput>
  send(
    command: ListShardsCommand,
    options?: { abortSignal?: AbortSignal },
  ): Promise<ListShardsCommandOutput>
  send(
    command: GetShardIteratorCommand,
    options?: { abortSignal?: AbortSignal },
  ): Promise<GetShardIteratorCommandOutput>
  send(
    command: GetRecordsCommand,
    options?: { abortSignal?: AbortSignal },
  ): Promise<GetRecordsCommandOutput>
  /** Answers one command, as `KinesisClient.send` does, on a later microtask. */
  async send(
    command: InMemoryKinesisCommand,
    options: { abortSignal?: AbortSignal } = {},
  ): Promise<unknown> {
    await Promise.resolve()
    if (options.abortSignal?.aborted) throw abortError(options.abortSignal)
    const name = (command as object).constructor.name
    const operation = OPERATIONS[name]
    if (operation === undefined) throw invalidArgument(`InMemoryKinesis does not support ${name}`)
    this.#requests[operation] += 1
    const input: unknown = (command as { input: unknown }).input
    return underFault(
      this.faults,
      operation,
      input as Record<string, unknown>,
      options.abortSignal,
      () => {
        switch (operation) {
          case 'DescribeStreamSummary':
            return this.#describe(input as DescribeStreamSummaryCommand['input'])
          case 'ListShards':
            return this.#listShards(input as ListShardsCommand['input'])
          case 'GetShardIterator':
            return this.#getShardIterator(input as GetShardIteratorCommand['input'])
          case 'GetRecords':
            return this.#getRecords(input as GetRecordsCommand['input'])
        }
      },
    )
  }

  #describe(input: DescribeStreamSummaryCommand['input']): DescribeStreamSummaryCommandOutput {
    const stream = this.#named(input.StreamName, input.StreamARN)
    return {
      StreamDescriptionSummary: {
        StreamName: stream.name,
        StreamARN: stream.arn,
        StreamStatus: 'ACTIVE',
        StreamModeDetails: { StreamMode: 'PROVISIONED' },
        RetentionPeriodHours: 24,
        StreamCreationTimestamp: stream.createdAt,
        EnhancedMonitoring: [{ ShardLevelMetrics: [] }],
        EncryptionType: 'NONE',
        OpenShardCount: stream.openShards().length,
        ConsumerCount: 0,
      },
      $metadata: ok(),
    }
  }

  #listShards(input: ListShardsCommand['input']): ListShardsCommandOutput {
    const max = input.MaxResults ?? 1000
    if (!Number.isInteger(max) || max < 1 || max > 10_000) {
      throw invalidArgument('MaxResults must be between 1 and 10000')
    }
    let listing: Listing
    if (input.NextToken !== undefined) {
      if (input.StreamName !== undefined || input.StreamARN !== undefined || input.ShardFilter) {
        throw invalidArgument('NextToken and StreamName/StreamARN/ShardFilter cannot be combined')
      }
      const found = this.#listings.get(input.NextToken)
      if (found === undefined) throw invalidArgument(`invalid NextToken ${input.NextToken}`)
      listing = found
    } else {
      if (input.ExclusiveStartShardId !== undefined) {
        throw invalidArgument('InMemoryKinesis does not support ExclusiveStartShardId')
      }
      const stream = this.#named(input.StreamName, input.StreamARN)
      listing = { shards: filtered(stream, input.ShardFilter).map(describeShard), offset: 0 }
    }
    const page = listing.shards.slice(listing.offset, listing.offset + max)
    const rest = listing.offset + page.length < listing.shards.length
    let nextToken: string | undefined
    if (rest) {
      nextToken = `list-${++this.#tokens}`
      this.#listings.set(nextToken, {
        shards: listing.shards,
        offset: listing.offset + page.length,
      })
    }
    return {
      Shards: page,
      ...(nextToken !== undefined ? { NextToken: nextToken } : {}),
      $metadata: ok(),
    }
  }

  #getShardIterator(input: GetShardIteratorCommand['input']): GetShardIteratorCommandOutput {
    const stream = this.#named(input.StreamName, input.StreamARN)
    const shard = stream.shard(input.ShardId ?? '')
    if (shard === undefined) throw shardNotFound(stream.name, input.ShardId ?? '')
    const index = startIndex(shard, input)
    return { ShardIterator: this.#issue(stream, shard, index), $metadata: ok() }
  }

  #getRecords(input: GetRecordsCommand['input']): GetRecordsCommandOutput {
    const limit = input.Limit ?? 10_000
    if (!Number.isInteger(limit) || limit < 1 || limit > 10_000) {
      throw invalidArgument('Limit must be between 1 and 10000')
    }
    const it = this.#iterators.get(input.ShardIterator ?? '')
    if (it === undefined) throw invalidArgument(`invalid ShardIterator ${input.ShardIterator}`)
    const now = this.#clock.wallNow()
    if (now - it.issuedAt > ITERATOR_LIFETIME_MS) {
      throw iteratorExpired()
    }
    const read = readRecords(it.shard, it.index, limit, now)
    if (read.ended) {
      const children: ChildShard[] = it.stream.childrenOf(it.shard.shardId).map((child) => ({
        ShardId: child.shardId,
        ParentShards: [child.parentShardId, child.adjacentParentShardId].filter(
          (p): p is string => p !== undefined,
        ),
        HashKeyRange: describeShard(child).HashKeyRange,
      }))
      return { Records: [], MillisBehindLatest: 0, ChildShards: children, $metadata: ok() }
    }
    return {
      Records: read.records,
      NextShardIterator: this.#issue(it.stream, it.shard, read.next),
      MillisBehindLatest: read.millisBehindLatest,
      $metadata: ok(),
    }
  }

  #issue(stream: InMemoryStream, shard: StoredShard, index: number): string {
    const token = `AAAAAAAAAAH${shard.shardId}-${++this.#tokens}`
    this.#iterators.set(token, { stream, shard, index, issuedAt: this.#clock.wallNow() })
    return token
  }

  #stream(name: string): InMemoryStream {
    const stream = this.#streams.get(name)
    if (stream === undefined) throw streamNotFound(name)
    return stream
  }

  #named(name: string | undefined, arn: string | undefined): InMemoryStream {
    if (name === undefined && arn === undefined) {
      throw invalidArgument('StreamName or StreamARN is required')
    }
    const stream =
      name !== undefined
        ? this.#streams.get(name)
        : [...this.#streams.values()].find((s) => s.arn === arn)
    if (stream === undefined) throw streamNotFound(name ?? arn ?? '?')
    return stream
  }
}

function filtered(
  stream: InMemoryStream,
  filter: ListShardsCommand['input']['ShardFilter'],
): StoredShard[] {
  if (filter === undefined) return stream.shards
  switch (filter.Type) {
    case 'AFTER_SHARD_ID':
      return stream.shards.filter((s) => s.shardId > (filter.ShardId ?? ''))
    case 'AT_LATEST':
      return stream.openShards()
    case 'AT_TRIM_HORIZON':
    case 'FROM_TRIM_HORIZON':
      // Nothing ages out of an in-memory stream: every shard is within the retention period.
      return stream.shards
    case 'AT_TIMESTAMP':
    case 'FROM_TIMESTAMP':
    case undefined:
      throw invalidArgument(`InMemoryKinesis does not support ShardFilter ${String(filter.Type)}`)
  }
}

function describeShard(shard: StoredShard): Shard {
  return {
    ShardId: shard.shardId,
    ...(shard.parentShardId !== undefined ? { ParentShardId: shard.parentShardId } : {}),
    ...(shard.adjacentParentShardId !== undefined
      ? { AdjacentParentShardId: shard.adjacentParentShardId }
      : {}),
    HashKeyRange: {
      StartingHashKey: shard.startingHashKey.toString(),
      EndingHashKey: shard.endingHashKey.toString(),
    },
    SequenceNumberRange: {
      StartingSequenceNumber: shard.startingSequenceNumber,
      ...(shard.endingSequenceNumber !== undefined
        ? { EndingSequenceNumber: shard.endingSequenceNumber }
        : {}),
    },
  }
}

function emptyRequests(): Record<InMemoryKinesisOperation, number> {
  return { DescribeStreamSummary: 0, ListShards: 0, GetShardIterator: 0, GetRecords: 0 }
}

function ok(): { httpStatusCode: number; attempts: number } {
  return { httpStatusCode: 200, attempts: 1 }
}
