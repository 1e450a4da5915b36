// What `kine ls` reports about a stream: DescribeStreamSummary for the stream, ListShards (every
// shard still within retention, open and closed) for the shards, CloudWatch for their traffic.
// Both Kinesis calls go through core's helpers, which ask again when an answer lacks what the API
// always returns (a summary, a page's shards) instead of printing blanks or a short list.

import type { KinesisClient, Shard } from '@aws-sdk/client-kinesis'
import type { CloudWatchClient } from '@aws-sdk/client-cloudwatch'
import { describeStreamSummary, listShards, type Clock, type Logger } from '@kine/core'
import { MAX_HASH_KEY, parseHashKey } from '@kine/core/lease-table'
import { enabledTrafficMetrics, shardTraffic, type ShardTraffic } from './shard-metrics.js'

/** The stream as `kine ls --json` prints it. */
interface StreamInfo {
  readonly name: string
  readonly arn: string | null
  readonly status: string | null
  /** `PROVISIONED` or `ON_DEMAND`. */
  readonly mode: string | null
  readonly retentionHours: number | null
  readonly createdAt: string | null
  /** Open shards, counted from ListShards. */
  readonly openShards: number
  /** Closed shards still within the retention period. */
  readonly closedShards: number
  /** `NONE` or `KMS`. */
  readonly encryption: string | null
  readonly keyId: string | null
  /** Shard-level CloudWatch metrics enabled on the stream (`ALL`, `IncomingBytes`, ...). */
  readonly shardLevelMetrics: string[]
  readonly consumers: number | null
}

/** One shard as `kine ls --json` prints it. */
export interface ShardInfo {
  readonly shardId: string
  readonly parentShardId: string | null
  readonly adjacentParentShardId: string | null
  readonly open: boolean
  readonly startingHashKey: string
  readonly endingHashKey: string
  /** The shard's share of the 2^128 hash keys, from 0 to 1. */
  readonly hashKeyShare: number
  readonly startingSequenceNumber: string | null
  /** Set once the shard is closed. */
  readonly endingSequenceNumber: string | null
  /** Average bytes per minute written to the shard over the last hour; null when not available. */
  readonly incomingBytesPerMinute: number | null
  /** Average bytes per minute read from the shard over the last hour; null when not available. */
  readonly outgoingBytesPerMinute: number | null
}

/** Everything `kine ls` shows. */
export interface StreamReport {
  readonly stream: StreamInfo
  readonly shards: ShardInfo[]
  /** Why the traffic figures are missing although shard-level metrics are enabled, if they are. */
  readonly metricsNote?: string
}

/** Options of {@link streamReport}. */
interface StreamReportOptions {
  readonly streamName: string
  /** Wall-clock now, epoch ms. */
  readonly now: number
  /** @defaultValue silent */
  readonly logger?: Logger
  /** Waits out the backoff between retries. @defaultValue systemClock */
  readonly clock?: Clock
}

const KEY_SPACE = Number(MAX_HASH_KEY + 1n)

/** A shard's share of the hash-key space (0 when its range does not parse). */
export function hashKeyShare(startingHashKey: string, endingHashKey: string): number {
  const start = parseHashKey(startingHashKey)
  const end = parseHashKey(endingHashKey)
  if (start === undefined || end === undefined || end < start) return 0
  return Number(end - start + 1n) / KEY_SPACE
}

/** True for a shard that still takes writes (a closed shard has an ending sequence number). */
export function isOpen(shard: Shard): boolean {
  return shard.SequenceNumberRange?.EndingSequenceNumber === undefined
}

/** Gathers the stream report. */
export async function streamReport(
  kinesis: KinesisClient,
  cloudwatch: (() => CloudWatchClient) | { readonly unavailable: string },
  options: StreamReportOptions,
): Promise<StreamReport> {
  const { streamName } = options
  // A CLI run should fail fast on an unreachable endpoint rather than back off for a minute.
  const retry = {
    maxAttempts: 3,
    ...(options.clock !== undefined ? { clock: options.clock } : {}),
    ...(options.logger !== undefined ? { logger: options.logger } : {}),
  }
  const summary = await describeStreamSummary(kinesis, { streamName, ...retry })
  const shards = await listShards(kinesis, { streamName, ...retry })
  const shardLevelMetrics = (summary.EnhancedMonitoring ?? []).flatMap(
    (m) => m.ShardLevelMetrics ?? [],
  )
  const enabled = enabledTrafficMetrics(shardLevelMetrics)
  let traffic = new Map<string, ShardTraffic>()
  let metricsNote: string | undefined
  if (enabled.size > 0 && typeof cloudwatch !== 'function') {
    metricsNote = cloudwatch.unavailable
  } else if (enabled.size > 0 && typeof cloudwatch === 'function') {
    try {
      traffic = await shardTraffic(cloudwatch(), {
        streamName,
        shardIds: shards.flatMap((s) => (s.ShardId === undefined ? [] : [s.ShardId])),
        metrics: enabled,
        now: options.now,
      })
    } catch (error) {
      // The figures are a bonus: a missing CloudWatch permission must not hide the shards.
      metricsNote = error instanceof Error ? `${error.name}: ${error.message}` : String(error)
      options.logger?.debug({ err: error }, 'GetMetricStatistics failed')
    }
  }
  const open = shards.filter(isOpen).length
  const stream: StreamInfo = {
    name: streamName,
    arn: summary.StreamARN ?? null,
    status: summary.StreamStatus ?? null,
    mode: summary.StreamModeDetails?.StreamMode ?? null,
    retentionHours: summary.RetentionPeriodHours ?? null,
    createdAt: summary.StreamCreationTimestamp?.toISOString() ?? null,
    openShards: open,
    closedShards: shards.length - open,
    encryption: summary.EncryptionType ?? null,
    keyId: summary.KeyId ?? null,
    shardLevelMetrics,
    consumers: summary.ConsumerCount ?? null,
  }
  const infos = shards.map((shard): ShardInfo => {
    const shardId = shard.ShardId ?? '?'
    const start = shard.HashKeyRange?.StartingHashKey ?? ''
    const end = shard.HashKeyRange?.EndingHashKey ?? ''
    const figures = traffic.get(shardId)
    return {
      shardId,
      parentShardId: shard.ParentShardId ?? null,
      adjacentParentShardId: shard.AdjacentParentShardId ?? null,
      open: isOpen(shard),
      startingHashKey: start,
      endingHashKey: end,
      hashKeyShare: hashKeyShare(start, end),
      startingSequenceNumber: shard.SequenceNumberRange?.StartingSequenceNumber ?? null,
      endingSequenceNumber: shard.SequenceNumberRange?.EndingSequenceNumber ?? null,
      incomingBytesPerMinute: figures?.incomingBytesPerMinute ?? null,
      outgoingBytesPerMinute: figures?.outgoingBytesPerMinute ?? null,
    }
  })
  return { stream, shards: infos, ...(metricsNote === undefined ? {} : { metricsNote }) }
}
