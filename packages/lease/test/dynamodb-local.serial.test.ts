// The lease algorithm on Amazon's own DynamoDB Local engine, so an emulator quirk of dynalite can
// neither hide nor fake a result: takes, fenced checkpoints, release, cooperative handoff, crash
// failover. Skipped (and said so) where Java is missing; CI has Java 17.
import { javaAvailable } from '@kine-tools/local'
import { readLeases, useEnv, waitFor } from '@kine-tools/testkit'
import { describe, expect, it } from 'vitest'
import type { Consumer } from '../src/index.js'
import { leasedStream, put, Recorder, testConsumer, type WorkerClients } from './helpers.js'

const F = 2_000
const java = javaAvailable()
if (!java) console.warn('java not found: skipping the DynamoDB Local lease suite')

interface Running {
  consumer: Consumer
  clients: WorkerClients
}
const running = (w: Running): number =>
  w.consumer.leases().filter((l) => l.phase === 'running').length

describe.skipIf(!java)('lease suite on DynamoDB Local', () => {
  const env = useEnv({ dynamo: 'dynamodb-local' })

  it('takes, checkpoints and releases; a second worker takes half by handoff; a crash fails over', async () => {
    const { stream, table } = await leasedStream(env, 'ddbl', 4)
    const recorder = new Recorder()
    const workers: Running[] = []
    try {
      const a = testConsumer(env, stream, table, recorder, { workerId: 'd1', leaseDurationMs: F })
      workers.push(a)
      await a.consumer.start()
      expect(running(a)).toBe(4)
      const sent = await put(env, stream, 'one', 40)
      await waitFor('every record', () => sent.every((d) => recorder.distinct().has(d)), 5 * F)

      const b = testConsumer(env, stream, table, recorder, { workerId: 'd2', leaseDurationMs: F })
      let handoffs = 0
      b.consumer.on('leaseTaken', (e) => (handoffs += e.handoff ? 1 : 0))
      workers.push(b)
      await b.consumer.start()
      await waitFor('2 and 2', () => running(a) === 2 && running(b) === 2, 10 * F)
      expect(handoffs).toBe(2)
      sent.push(...(await put(env, stream, 'two', 40)))
      await waitFor('every record', () => sent.every((d) => recorder.distinct().has(d)), 5 * F)
      expect(recorder.duplicates()).toBe(0)

      a.clients.crash()
      await waitFor('b holds all 4', () => running(b) === 4, 3 * F)
      sent.push(...(await put(env, stream, 'three', 40)))
      await waitFor('every record', () => sent.every((d) => recorder.distinct().has(d)), 5 * F)
      await b.consumer.stop()
      const { leases } = await readLeases(env.dynamodb, table)
      for (const lease of leases.values()) {
        expect(lease.leaseOwner).toBeUndefined()
        const last = recorder.seen.filter((s) => s.shardId === lease.leaseKey).at(-1)!
        expect(lease.checkpoint).toBe(last.sequenceNumber)
      }
    } finally {
      await Promise.all(workers.map((w) => w.consumer.stop()))
      for (const w of workers) w.clients.destroy()
    }
  })
})
