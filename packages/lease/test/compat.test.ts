// The original's callback API over the Consumer: option names, init / processRecords / onShardClosed,
// done(null, true|false), this.checkpointFunc, SDK v2 record shape, and no crash on done(err).
import { allShards, getLease, splitInHalf, useEnv, waitFor } from '@kine-tools/testkit'
import { InvalidConfigError } from '@kine/core'
import { describe, expect, it } from 'vitest'
import { kcl, type LegacyRecord } from '../src/index.js'
import { leasedStream, put, workerClients } from './helpers.js'

const env = useEnv({ durations: { SPLIT_SHARD_DURATION: '100ms' } })

describe('kcl()', () => {
  it('runs the original callbacks, checkpoints on done(null, true) only, and follows a split', async () => {
    const { stream, table } = await leasedStream(env, 'compat', 1)
    const clients = workerClients(env)
    const inits: string[] = []
    const closed: string[] = []
    const texts: string[] = []
    let failed = false
    let last: LegacyRecord | undefined
    const outsideCheckpoints: (Error | null | undefined)[] = []
    const worker = kcl(
      {
        streamName: stream,
        table,
        shardIteratorType: 'TRIM_HORIZON',
        leaseTimeout: 2_000,
        minProcessTime: 50,
        init(done) {
          inits.push(this.id)
          // Outside processRecords there is no batch to checkpoint: a misuse, refused.
          this.checkpointFunc((err) => outsideCheckpoints.push(err))
          done(null)
        },
        processRecords(records, done) {
          if (!failed) {
            failed = true
            done(new Error('the original would have thrown'))
            return
          }
          for (const r of records) texts.push(r.Data.toString())
          last = records.at(-1)
          expect(Buffer.isBuffer(records[0]!.Data)).toBe(true)
          expect(typeof records[0]!.PartitionKey).toBe('string')
          expect(records[0]!.ApproximateArrivalTimestamp).toBeInstanceOf(Date)
          if (records.some((r) => r.Data.toString().startsWith('manual'))) {
            // A manual checkpoint at the first record, then read on without the batch checkpoint.
            this.checkpointFunc(records[0]!.SequenceNumber, (err) => done(err ?? null, false))
            return
          }
          done(null, !records.some((r) => r.Data.toString().startsWith('nosave')))
        },
        onShardClosed(done) {
          closed.push(this.shardId)
          done()
        },
      },
      clients.dynamodb,
      clients.kinesis,
    )
    try {
      await worker.ready
      const [parent] = await allShards(env.kinesis, stream)
      const saved = await put(env, stream, 'saved', 5)
      await waitFor('saved', () => saved.every((t) => texts.includes(t)))
      const savedAt = last!.SequenceNumber
      await waitFor(
        'checkpoint',
        async () => (await getLease(env.dynamodb, table, parent!.ShardId!))!.checkpoint === savedAt,
      )
      const nosave = await put(env, stream, 'nosave', 3)
      await waitFor('nosave', () => nosave.every((t) => texts.includes(t)))
      await new Promise((r) => setTimeout(r, 300))
      expect((await getLease(env.dynamodb, table, parent!.ShardId!))!.checkpoint).toBe(savedAt)
      await put(env, stream, 'manual', 1)
      await waitFor('manual', () => texts.includes('manual-0'))
      await waitFor(
        'manual checkpoint',
        async () =>
          (await getLease(env.dynamodb, table, parent!.ShardId!))!.checkpoint ===
          last!.SequenceNumber,
      )

      await splitInHalf(env.kinesis, stream, parent!)
      const after = await put(env, stream, 'child', 10)
      await waitFor('children read', () => after.every((t) => texts.includes(t)), 20_000)
      expect(closed).toEqual([parent!.ShardId])
      expect(inits).toHaveLength(3)
      expect(outsideCheckpoints).toHaveLength(3)
      for (const err of outsideCheckpoints) expect(err).toBeInstanceOf(InvalidConfigError)
      expect((await getLease(env.dynamodb, table, parent!.ShardId!))!.checkpoint).toBe('SHARD_END')
    } finally {
      await worker.stop()
      clients.destroy()
    }
  })
})
