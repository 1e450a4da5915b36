// The Consumer against well-formed answers that lack a field the API always returns (issue 11,
// section 1): each is retried as a fault, never read as a conclusion. A middleware on the worker's
// own clients removes the field from the first answers (test fault injection); the emulators are
// real.
import type { MetricName } from '@kine/core'
import { useEnv, waitFor } from '@kine-tools/testkit'
import { describe, expect, it } from 'vitest'
import {
  leasedStream,
  orderViolations,
  put,
  Recorder,
  testConsumer,
  waitForLastCheckpoint,
} from './helpers.js'
import type { WorkerClients } from './helpers.js'

/** The lease duration testConsumer gives every worker: bounds below are multiples of it. */
const F = 2_000

/** Test fault injection: the first `count` answers of `command` lose `field`. */
function dropField(
  client: WorkerClients['kinesis'] | WorkerClients['dynamodb'],
  command: string,
  field: string,
  count: number,
): { dropped: () => number } {
  let dropped = 0
  ;(client as WorkerClients['kinesis']).middlewareStack.add(
    (next, context) => async (args) => {
      const result = await next(args)
      if (context.commandName === command && dropped < count) {
        dropped++
        delete (result.output as unknown as Record<string, unknown>)[field]
      }
      return result
    },
    { step: 'initialize', name: `drop${field}` },
  )
  return { dropped: () => dropped }
}

function countingMetrics(): {
  counts: Map<MetricName, number>
  record: (n: MetricName, v: number) => void
} {
  const counts = new Map<MetricName, number>()
  return { counts, record: (name, value) => counts.set(name, (counts.get(name) ?? 0) + value) }
}

describe('malformed answers reach the Consumer', () => {
  const env = useEnv()

  it('GetShardIterator without ShardIterator on an open shard: retried, never SHARD_END', async () => {
    const { stream, table } = await leasedStream(env, 'noiterator', 1)
    const recorder = new Recorder()
    const metrics = countingMetrics()
    const { consumer, clients } = testConsumer(env, stream, table, recorder, {
      workerId: 'worker-i',
      metrics,
    })
    const fault = dropField(clients.kinesis, 'GetShardIteratorCommand', 'ShardIterator', 3)
    const ended: string[] = []
    consumer.on('shardEnded', (e) => ended.push(e.shardId))
    try {
      await consumer.start()
      const sent = await put(env, stream, 'i', 20)
      await waitFor('every record', () => recorder.distinct().size === sent.length, 10 * F)
      expect(fault.dropped()).toBe(3)
      expect(ended).toEqual([])
      expect(metrics.counts.get('MalformedResponses')).toBe(3)
      expect(orderViolations(recorder.seen)).toEqual([])
      await waitForLastCheckpoint(env, table, recorder, 3 * F)
    } finally {
      await consumer.stop()
      clients.destroy()
    }
  })

  it('a lease scan page without Items is asked again, never read as an empty table', async () => {
    const { stream, table } = await leasedStream(env, 'noitems', 2)
    const recorder = new Recorder()
    const { consumer, clients } = testConsumer(env, stream, table, recorder, {
      workerId: 'worker-s',
      noLeasesWarningMs: 0,
    })
    const fault = dropField(clients.dynamodb, 'ScanCommand', 'Items', 2)
    const noLeases: number[] = []
    consumer.on('noLeases', (e) => noLeases.push(e.sinceMs))
    try {
      await consumer.start()
      // The first scan, asked again past its malformed pages, already finds both leases.
      expect(fault.dropped()).toBe(2)
      expect(consumer.leases()).toHaveLength(2)
      expect(noLeases).toEqual([])
    } finally {
      await consumer.stop()
      clients.destroy()
    }
  })

  it('DescribeStreamSummary without its summary at start is asked again', async () => {
    const { stream, table } = await leasedStream(env, 'nosummary', 1)
    const recorder = new Recorder()
    const metrics = countingMetrics()
    const { consumer, clients } = testConsumer(env, stream, table, recorder, {
      workerId: 'worker-d',
      metrics,
    })
    const fault = dropField(
      clients.kinesis,
      'DescribeStreamSummaryCommand',
      'StreamDescriptionSummary',
      2,
    )
    try {
      await consumer.start()
      expect(fault.dropped()).toBe(2)
      expect(metrics.counts.get('MalformedResponses')).toBe(2)
      expect(consumer.leases()).toHaveLength(1)
    } finally {
      await consumer.stop()
      clients.destroy()
    }
  })
})
