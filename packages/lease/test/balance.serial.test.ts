// Liveness, one file at a time: fair shares, cooperative handoff, failover after a crash, graceful
// stop, clock skew and a DynamoDB outage, with a short lease duration and slack relative to it.
import { type Clock, systemClock } from '@kine/core'
import { readLeases, useEnv, waitFor } from '@kine-tools/testkit'
import { describe, expect, it } from 'vitest'
import type { Consumer } from '../src/index.js'
import {
  kclFormatProblems,
  leasedStream,
  put,
  Recorder,
  testConsumer,
  type WorkerClients,
} from './helpers.js'

// KINE_TEST_LEASE_MS=10000 measures at the default lease duration (the bounds scale with F).
const F = Number(process.env.KINE_TEST_LEASE_MS ?? 2_000)
const S = F / 2

const env = useEnv()

interface Running {
  consumer: Consumer
  clients: WorkerClients
}

/** Writes a record every `everyMs` until stopped; resolves with everything it wrote. */
function producer(stream: string, prefix: string, everyMs = 30): { stop(): Promise<string[]> } {
  let running = true
  const sent: string[] = []
  const loop = (async () => {
    for (let i = 0; running; i++) {
      sent.push(...(await put(env, stream, `${prefix}-${i}`, 4)))
      await new Promise((r) => setTimeout(r, everyMs))
    }
  })()
  return {
    async stop() {
      running = false
      await loop
      return sent
    },
  }
}

const counts = (workers: Running[]): number[] =>
  workers.map((w) => w.consumer.leases().filter((l) => l.phase === 'running').length)

async function stopAll(workers: Running[]): Promise<void> {
  await Promise.all(workers.map((w) => w.consumer.stop()))
  for (const w of workers) w.clients.destroy()
}

describe('balancing', () => {
  it('3 workers on 8 shards settle at 2-3 each; a 4th takes its share by handoff, without duplicates', async () => {
    const { stream, table } = await leasedStream(env, 'fair', 8)
    const recorder = new Recorder()
    const handoffs: string[] = []
    const workers: Running[] = []
    try {
      for (const id of ['w1', 'w2', 'w3']) {
        const w = testConsumer(env, stream, table, recorder, { workerId: id, leaseDurationMs: F })
        workers.push(w)
        await w.consumer.start()
      }
      const prod = producer(stream, 'fair')
      await waitFor(
        '3 fair shares',
        () =>
          counts(workers).reduce((a, b) => a + b, 0) === 8 &&
          counts(workers).every((c) => c >= 2 && c <= 3),
        10 * F,
      )
      // Shares stay.
      const settled = counts(workers)
      await new Promise((r) => setTimeout(r, 2 * F))
      expect(counts(workers)).toEqual(settled)

      const fourth = testConsumer(env, stream, table, recorder, {
        workerId: 'w4',
        leaseDurationMs: F,
      })
      fourth.consumer.on('leaseTaken', (e) => {
        if (e.handoff) handoffs.push(e.shardId)
      })
      workers.push(fourth)
      await fourth.consumer.start()
      await waitFor('4 shares of 2', () => counts(workers).every((c) => c === 2), 12 * F)
      expect(handoffs.length).toBeGreaterThanOrEqual(2)
      expect(kclFormatProblems((await readLeases(env.dynamodb, table)).items)).toEqual([])
      const sent = await prod.stop()
      await waitFor('every record', () => sent.every((d) => recorder.distinct().has(d)), 5 * F)
      expect(recorder.duplicates()).toBe(0)
    } finally {
      await stopAll(workers)
    }
  })
})

describe('failover', () => {
  it("a crashed worker's shards resume on the others within F + S plus slack", async () => {
    const { stream, table } = await leasedStream(env, 'crash', 4)
    const recorder = new Recorder()
    const workers: Running[] = []
    try {
      for (const id of ['c1', 'c2']) {
        const w = testConsumer(env, stream, table, recorder, { workerId: id, leaseDurationMs: F })
        workers.push(w)
        await w.consumer.start()
      }
      await waitFor('2 and 2', () => counts(workers).every((c) => c === 2), 10 * F)
      const prod = producer(stream, 'crash')
      await new Promise((r) => setTimeout(r, 500))
      const [victim, survivor] = workers as [Running, Running]
      victim.clients.crash()
      const crashedAt = Date.now()
      const failover = await waitFor(
        'the survivor holds all 4',
        () => counts([survivor])[0] === 4,
        4 * F,
      )
      console.log(`failover after crash: ${Date.now() - crashedAt} ms (F=${F}, S=${S})`)
      expect(failover).toBeLessThan(F + S + F)
      const sent = await prod.stop()
      await waitFor('every record', () => sent.every((d) => recorder.distinct().has(d)), 5 * F)
      console.log(`duplicates after crash: ${recorder.duplicates()}`)
    } finally {
      await stopAll(workers)
    }
  })

  it("a gracefully stopped worker's shards resume within S plus slack, with no duplicates", async () => {
    const { stream, table } = await leasedStream(env, 'graceful', 4)
    const recorder = new Recorder()
    const workers: Running[] = []
    try {
      for (const id of ['g1', 'g2']) {
        const w = testConsumer(env, stream, table, recorder, { workerId: id, leaseDurationMs: F })
        workers.push(w)
        await w.consumer.start()
      }
      await waitFor('2 and 2', () => counts(workers).every((c) => c === 2), 10 * F)
      const prod = producer(stream, 'graceful')
      await new Promise((r) => setTimeout(r, 500))
      const [leaving, staying] = workers as [Running, Running]
      const stoppedAt = Date.now()
      await leaving.consumer.stop()
      const resumed = await waitFor(
        'the other holds all 4',
        () => counts([staying])[0] === 4,
        4 * F,
      )
      console.log(
        `graceful handoff: stop took ${Date.now() - stoppedAt - resumed} ms, resumed ${resumed} ms after stop resolved (S=${S})`,
      )
      expect(resumed).toBeLessThan(S + F / 2)
      const sent = await prod.stop()
      await waitFor('every record', () => sent.every((d) => recorder.distinct().has(d)), 5 * F)
      expect(recorder.duplicates()).toBe(0)
    } finally {
      await stopAll(workers)
    }
  })

  it('a handoff while a handler shorter than F/2 runs completes without duplicates', async () => {
    const { stream, table } = await leasedStream(env, 'shorthand', 2)
    const recorder = new Recorder()
    const workers: Running[] = []
    let busy = 0
    try {
      const first = testConsumer(env, stream, table, recorder, {
        workerId: 'h1',
        leaseDurationMs: F,
        async processRecords() {
          busy++
          await new Promise((r) => setTimeout(r, F / 4))
        },
      })
      workers.push(first)
      await first.consumer.start()
      await waitFor('h1 holds both', () => counts(workers)[0] === 2, 4 * F)
      const prod = producer(stream, 'short', 50)
      await waitFor('h1 is busy', () => busy > 2, 4 * F)
      const second = testConsumer(env, stream, table, recorder, {
        workerId: 'h2',
        leaseDurationMs: F,
      })
      let handedOff = 0
      first.consumer.on('leaseLost', (e) => (handedOff += e.reason === 'handed-off' ? 1 : 0))
      workers.push(second)
      await second.consumer.start()
      const took = await waitFor('1 and 1', () => counts(workers).every((c) => c === 1), 10 * F)
      console.log(
        `cooperative handoff with a busy handler: ${took} ms from the second worker's start`,
      )
      const sent = await prod.stop()
      await waitFor('every record', () => sent.every((d) => recorder.distinct().has(d)), 10 * F)
      expect(handedOff).toBe(1)
      expect(recorder.duplicates()).toBe(0)
    } finally {
      await stopAll(workers)
    }
  })

  it('a handoff whose in-flight handler outlasts F costs duplicates, never a record', async () => {
    const { stream, table } = await leasedStream(env, 'longhand', 2)
    const recorder = new Recorder()
    const workers: Running[] = []
    let slow = false
    const slowBatches = new Set<string>()
    try {
      const first = testConsumer(env, stream, table, recorder, {
        workerId: 'h1',
        leaseDurationMs: F,
        async processRecords(_records, ctx) {
          if (!slow) return
          slowBatches.add(ctx.shardId)
          await new Promise((r) => setTimeout(r, 2 * F))
        },
      })
      workers.push(first)
      await first.consumer.start()
      await waitFor('h1 holds both', () => counts(workers)[0] === 2, 4 * F)
      const sent = await put(env, stream, 'long-a', 20)
      await waitFor('the first records', () => sent.every((d) => recorder.distinct().has(d)), 4 * F)
      slow = true
      sent.push(...(await put(env, stream, 'long-b', 20)))
      await waitFor('slow batches on both shards', () => slowBatches.size === 2, 4 * F)
      const second = testConsumer(env, stream, table, recorder, {
        workerId: 'h2',
        leaseDurationMs: F,
      })
      workers.push(second)
      await second.consumer.start()
      await waitFor('1 and 1', () => counts(workers).every((c) => c === 1), 10 * F)
      await waitFor('every record', () => sent.every((d) => recorder.distinct().has(d)), 10 * F)
      await waitFor('the abandoned batch finished too', () => recorder.duplicates() > 0, 4 * F)
    } finally {
      await stopAll(workers)
    }
  })
})

describe('clocks and outages', () => {
  it('a worker whose wall clock is an hour off never co-owns a shard', async () => {
    const { stream, table } = await leasedStream(env, 'skew', 4)
    const skewed: Clock = {
      now: () => systemClock.now(),
      wallNow: () => Date.now() + 3_600_000,
      sleep: (ms, signal) => systemClock.sleep(ms, signal),
    }
    const recorder = new Recorder()
    const workers: Running[] = []
    const overlaps: string[] = []
    let watching = true
    try {
      workers.push(
        testConsumer(env, stream, table, recorder, { workerId: 'k1', leaseDurationMs: F }),
      )
      workers.push(
        testConsumer(env, stream, table, recorder, {
          workerId: 'k2',
          leaseDurationMs: F,
          clock: skewed,
        }),
      )
      const watch = (async () => {
        while (watching) {
          const [a, b] = workers.map(
            (w) =>
              new Set(
                w.consumer
                  .leases()
                  .filter((l) => l.phase === 'running')
                  .map((l) => l.shardId),
              ),
          )
          for (const id of a!) if (b!.has(id)) overlaps.push(id)
          await new Promise((r) => setTimeout(r, 10))
        }
      })()
      const prod = producer(stream, 'skew')
      await Promise.all(workers.map((w) => w.consumer.start()))
      await waitFor('2 and 2', () => counts(workers).every((c) => c === 2), 10 * F)
      await new Promise((r) => setTimeout(r, 2 * F))
      const sent = await prod.stop()
      await waitFor('every record', () => sent.every((d) => recorder.distinct().has(d)), 5 * F)
      watching = false
      await watch
      expect(overlaps).toEqual([])
      expect(recorder.duplicates()).toBe(0)
    } finally {
      watching = false
      await stopAll(workers)
    }
  })

  it('DynamoDB unreachable: processing stops within F, resumes when it is back, nothing lost', async () => {
    const { stream, table } = await leasedStream(env, 'outage', 2)
    const recorder = new Recorder()
    const w = testConsumer(env, stream, table, recorder, { workerId: 'o1', leaseDurationMs: F })
    const lost: string[] = []
    w.consumer.on('leaseLost', (e) => lost.push(`${e.shardId}:${e.reason}`))
    try {
      await w.consumer.start()
      const prod = producer(stream, 'outage')
      await waitFor('records flowing', () => recorder.seen.length > 20, 4 * F)
      w.clients.partitionDynamo(true)
      const downAt = Date.now()
      await waitFor('leases given up', () => w.consumer.leases().length === 0, 2 * F)
      expect(Date.now() - downAt).toBeLessThanOrEqual(F + F / 4)
      const seenWhenStopped = recorder.seen.length
      await new Promise((r) => setTimeout(r, F / 2))
      expect(recorder.seen.length).toBe(seenWhenStopped)
      expect(lost.length).toBeGreaterThan(0)
      expect(lost.every((l) => l.endsWith(':expired'))).toBe(true)
      w.clients.partitionDynamo(false)
      await waitFor('leases back', () => counts([w])[0] === 2, 4 * F)
      const sent = await prod.stop()
      await waitFor('every record', () => sent.every((d) => recorder.distinct().has(d)), 5 * F)
    } finally {
      await stopAll([w])
    }
  })
})

describe('cost', () => {
  it('DynamoDB requests per lease per hour: one renewal per F/3 per lease and one scan per S', async () => {
    const { stream, table } = await leasedStream(env, 'cost', 4)
    const w = testConsumer(env, stream, table, new Recorder(), {
      workerId: 'cost1',
      leaseDurationMs: F,
    })
    try {
      await w.consumer.start()
      await waitFor('4 leases', () => counts([w])[0] === 4, 2 * F)
      w.clients.counts.clear()
      const windowMs = Math.max(10_000, 3 * F)
      await new Promise((r) => setTimeout(r, windowMs))
      const c = Object.fromEntries(w.clients.counts)
      const total = [...w.clients.counts.values()].reduce((a, b) => a + b, 0)
      const perLeaseHour = (total / 4) * (3_600_000 / windowMs)
      console.log(
        `idle worker, 4 leases, F=${F} ms, ${windowMs} ms: ${JSON.stringify(c)}; ` +
          `${Math.round(perLeaseHour)} requests per lease per hour at F=${F} ms, ${Math.round((perLeaseHour * F) / 10_000)} at F=10 s`,
      )
      // Renewals: one per lease per F/3 (plus at most one late tick); scans: one per S, jittered.
      expect(c.UpdateItemCommand ?? 0).toBeLessThanOrEqual(4 * (windowMs / (F / 3) + 2))
      expect(c.ScanCommand ?? 0).toBeLessThanOrEqual(windowMs / (0.9 * S) + 2)
    } finally {
      await stopAll([w])
    }
  })
})
