// How far delivery may run ahead of the table (issue 11, section 3): everything after the stored
// checkpoint is delivered again after a failover, so a DynamoDB outage must cost a bounded number
// of batches of duplicates, not everything processed while the checkpoints could not land. The
// outage is a middleware on the worker's own DynamoDB client that fails every call (test fault).
import type { KineRecord } from '@kine/core'
import { useEnv, waitFor } from '@kine-tools/testkit'
import { describe, expect, it } from 'vitest'
import type { RecordsContext } from '../src/index.js'
import {
  leasedStream,
  orderViolations,
  put,
  Recorder,
  testConsumer,
  waitForLastCheckpoint,
} from './helpers.js'

/** The lease duration testConsumer gives every worker: bounds below are multiples of it. */
const F = 2_000
const LIMIT = 10

describe('delivered batches lacking a checkpoint', () => {
  const env = useEnv()

  it('a DynamoDB outage longer than F costs at most two batches of duplicates per shard', async () => {
    const { stream, table } = await leasedStream(env, 'outagedups', 1)
    const recorder = new Recorder()
    const { consumer, clients } = testConsumer(env, stream, table, recorder, {
      workerId: 'worker-d',
      limit: LIMIT,
    })
    const lost: string[] = []
    consumer.on('leaseLost', (e) => lost.push(e.reason))
    try {
      await consumer.start()
      await waitFor('the lease held', () => consumer.leases().length === 1, 5 * F)
      clients.partitionDynamo(true)
      const sent = await put(env, stream, 'd', 10 * LIMIT)
      // The worker stops acting on the lease F after its last successful write.
      await waitFor('the lease given up', () => lost.length === 1, 3 * F)
      const deliveredInOutage = recorder.seen.length
      clients.partitionDynamo(false)
      await waitFor('every record', () => recorder.distinct().size === sent.length, 10 * F)
      expect(lost).toEqual(['expired'])
      // Two batches may lack a checkpoint: the one whose write failed and the one after it.
      expect(deliveredInOutage).toBeLessThanOrEqual(2 * LIMIT)
      expect(recorder.duplicates()).toBeLessThanOrEqual(2 * LIMIT)
      expect(orderViolations(recorder.seen)).toEqual([])
      await waitForLastCheckpoint(env, table, recorder, 3 * F)
    } finally {
      await consumer.stop()
      clients.destroy()
    }
  })

  it('with manual checkpointing and a limit of 1, the next batch waits for the app to checkpoint', async () => {
    const { stream, table } = await leasedStream(env, 'manuallimit', 1)
    const recorder = new Recorder()
    let last: { record: KineRecord; ctx: RecordsContext } | undefined
    const { consumer, clients } = testConsumer(env, stream, table, recorder, {
      workerId: 'worker-m',
      limit: LIMIT,
      checkpointing: 'manual',
      maxUncheckpointedBatches: 1,
      processRecords(records, ctx) {
        // The app checkpoints later, on its own schedule (after its own writes land, say).
        last = { record: records.at(-1)!, ctx }
        return Promise.resolve()
      },
    })
    try {
      await consumer.start()
      const sent = await put(env, stream, 'm', 3 * LIMIT)
      await waitFor('the first batch', () => recorder.seen.length > 0, 5 * F)
      // Held back: no checkpoint has landed for the batch delivered.
      await new Promise((r) => setTimeout(r, 500))
      const firstBatch = recorder.seen.length
      expect(firstBatch).toBeLessThanOrEqual(LIMIT)
      await last!.ctx.checkpoint(last!.record)
      await waitFor('the next batch', () => recorder.seen.length > firstBatch, 5 * F)
      for (let i = 0; recorder.distinct().size < sent.length && i < 20; i++) {
        await last!.ctx.checkpoint(last!.record)
        await new Promise((r) => setTimeout(r, 100))
      }
      expect(recorder.distinct().size).toBe(sent.length)
      expect(recorder.duplicates()).toBe(0)
    } finally {
      await consumer.stop()
      clients.destroy()
    }
  })
})
