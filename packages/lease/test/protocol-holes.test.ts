// The lease protocol's corner cases that lost time or records (issue 11, section 2), each forced
// against kinesis-local and dynalite. The other worker of a handoff, and the lost responses, are
// played by the test: it writes the other worker's items directly, and a middleware on the
// worker's own DynamoDB client injects the fault (a renewal that never reaches the table, a
// response lost after the write applied, a scan that missed an item written behind it).
import { UpdateItemCommand, PutItemCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb'
import { ensureLeaseTable, type KineRecord } from '@kine/core'
import {
  beginHandoffInput,
  createLeaseInput,
  leaseToItem,
  renewLeaseInput,
  takeLeaseInput,
} from '@kine/core/lease-table'
import {
  allShards,
  getLease,
  newStream,
  splitInHalf,
  testLease,
  useEnv,
  waitFor,
} from '@kine-tools/testkit'
import { describe, expect, it } from 'vitest'
import { leasedStream, put, Recorder, testConsumer, type WorkerClients } from './helpers.js'

/** The lease duration testConsumer gives every worker: bounds below are multiples of it. */
const F = 2_000
const RENEWAL = 'SET #leaseCounter = #leaseCounter + :one'

/** Test fault injection: once `on()` says so, this worker's renewals fail before they are sent. */
function failRenewals(clients: WorkerClients, on: () => boolean): void {
  clients.dynamodb.middlewareStack.add(
    (next) => (args) => {
      const input = args.input as { UpdateExpression?: string }
      if (on() && input.UpdateExpression === RENEWAL)
        return Promise.reject(
          Object.assign(new Error('socket hang up (test fault)'), { code: 'ECONNRESET' }),
        )
      return next(args)
    },
    { step: 'initialize', name: 'failRenewals' },
  )
}

/**
 * Test fault injection: the first write matching `matches` applies, its response is lost, and
 * the SDK's retry of it fails its condition, which is what the caller sees.
 */
function loseFirstReply(
  clients: WorkerClients,
  matches: (input: { UpdateExpression?: string; ConditionExpression?: string }) => boolean,
): { sent: () => number } {
  let sent = 0
  clients.dynamodb.middlewareStack.add(
    (next) => async (args) => {
      const input = args.input as { UpdateExpression?: string; ConditionExpression?: string }
      if (!matches(input)) return next(args)
      sent++
      if (sent === 1) await next(args)
      return next(args)
    },
    { step: 'initialize', name: 'loseFirstReply' },
  )
  return { sent: () => sent }
}

const isTake = (i: { UpdateExpression?: string }): boolean =>
  i.UpdateExpression?.startsWith('SET #leaseOwner = :owner,') === true
const isHandoff = (i: { UpdateExpression?: string }): boolean =>
  i.UpdateExpression?.includes('#checkpointOwner = :previousOwner') === true

/** Writes the start of a handoff of `shardId` to `newOwner`, as that worker would. */
async function beginHandoff(
  dynamodb: DynamoDBClient,
  table: string,
  shardId: string,
  previousOwner: string,
  newOwner: string,
): Promise<void> {
  const seen = (await getLease(dynamodb, table, shardId))!
  expect(seen.leaseOwner).toBe(previousOwner)
  await dynamodb.send(
    new UpdateItemCommand(
      beginHandoffInput(table, {
        leaseKey: shardId,
        newOwner,
        previousOwner,
        seenCounter: seen.leaseCounter,
      }),
    ),
  )
}

describe('lease protocol holes', () => {
  const env = useEnv()

  it('a handoff found by the final flush of a stopping worker gets its handoff checkpoint at once', async () => {
    const { stream, table } = await leasedStream(env, 'flushhandoff', 1)
    const recorder = new Recorder()
    let release!: () => void
    const gate = new Promise<void>((resolve) => (release = resolve))
    let entered = false
    const { consumer, clients } = testConsumer(env, stream, table, recorder, {
      workerId: 'worker-a',
      async processRecords() {
        entered = true
        await gate
      },
    })
    // Renewals stop reaching the table, so only the final flush can find the handoff.
    let renewalsDown = false
    failRenewals(clients, () => renewalsDown)
    try {
      await consumer.start()
      await put(env, stream, 'f', 5)
      await waitFor('the handler running', () => entered, 5 * F)
      const shardId = consumer.leases()[0]!.shardId
      renewalsDown = true
      const stopping = consumer.stop()
      await beginHandoff(env.dynamodb, table, shardId, 'worker-a', 'worker-b')
      release()
      await stopping
      const last = recorder.seen.at(-1)!
      const item = (await getLease(env.dynamodb, table, shardId))!
      // The new owner may read at once: the old owner's checkpoint is on the item, its mark gone.
      expect(item).toMatchObject({ leaseOwner: 'worker-b', checkpoint: last.sequenceNumber })
      expect(item.checkpointOwner).toBeUndefined()
    } finally {
      await consumer.stop()
      clients.destroy()
    }
  })

  it('a handoff found when a slow handler gives its lease up also gets the handoff checkpoint', async () => {
    const { stream, table } = await leasedStream(env, 'slowhandoff', 1)
    const recorder = new Recorder()
    let batches = 0
    const { consumer, clients } = testConsumer(env, stream, table, recorder, {
      workerId: 'worker-a',
      maxProcessTimeMs: 600,
      onSlowHandler: 'release-lease',
      async processRecords(_records, ctx) {
        // The second batch hangs until the slow-handler bound gives the lease up.
        if (++batches === 2)
          await new Promise((resolve) => ctx.signal.addEventListener('abort', resolve))
      },
    })
    let renewalsDown = false
    failRenewals(clients, () => renewalsDown)
    try {
      await consumer.start()
      await put(env, stream, 'g', 3)
      await waitFor('the first batch done', () => recorder.seen.length === 3, 5 * F)
      const shardId = consumer.leases()[0]!.shardId
      const firstBatchEnd = recorder.seen.at(-1)!.sequenceNumber
      await waitFor(
        'its checkpoint',
        async () => (await getLease(env.dynamodb, table, shardId))!.checkpoint === firstBatchEnd,
        F,
      )
      await put(env, stream, 'h', 3)
      await waitFor('the second batch hanging', () => batches === 2, 5 * F)
      renewalsDown = true
      await beginHandoff(env.dynamodb, table, shardId, 'worker-a', 'worker-b')
      // Well before the handoff timeout (F), the old owner frees the new one.
      await waitFor(
        'the handoff mark removed',
        async () => (await getLease(env.dynamodb, table, shardId))!.checkpointOwner === undefined,
        F / 2 + 600,
      )
      expect(await getLease(env.dynamodb, table, shardId)).toMatchObject({
        leaseOwner: 'worker-b',
        checkpoint: firstBatchEnd,
      })
      expect(consumer.leases()).toEqual([])
    } finally {
      await consumer.stop()
      clients.destroy()
    }
  })

  it('a handoff found at a shard end, after its hook and child leases, hands over SHARD_END', async () => {
    const { stream, table } = await leasedStream(env, 'endhandoff', 1)
    const recorder = new Recorder()
    let release!: () => void
    const gate = new Promise<void>((resolve) => (release = resolve))
    let hookRuns = 0
    const { consumer, clients } = testConsumer(env, stream, table, recorder, {
      workerId: 'worker-a',
      async shardEnded() {
        hookRuns++
        await gate
      },
    })
    let renewalsDown = false
    failRenewals(clients, () => renewalsDown)
    try {
      await consumer.start()
      const sent = await put(env, stream, 'e', 5)
      await waitFor('every record', () => recorder.distinct().size === sent.length, 5 * F)
      const [shard] = await allShards(env.kinesis, stream)
      await splitInHalf(env.kinesis, stream, shard!)
      await waitFor('the end hook running', () => hookRuns === 1, 5 * F)
      renewalsDown = true
      await beginHandoff(env.dynamodb, table, shard!.ShardId!, 'worker-a', 'worker-b')
      release()
      await waitFor(
        'the handoff mark removed',
        async () =>
          (await getLease(env.dynamodb, table, shard!.ShardId!))!.checkpointOwner === undefined,
        F,
      )
      // The new owner finds the shard finished: it neither reads its last batch nor runs the hook again.
      expect(await getLease(env.dynamodb, table, shard!.ShardId!)).toMatchObject({
        leaseOwner: 'worker-b',
        checkpoint: 'SHARD_END',
      })
      const children = (await allShards(env.kinesis, stream)).filter(
        (s) => s.ParentShardId === shard!.ShardId,
      )
      for (const child of children)
        expect(await getLease(env.dynamodb, table, child.ShardId!)).toMatchObject({
          parentShardIds: [shard!.ShardId],
        })
    } finally {
      await consumer.stop()
      clients.destroy()
    }
  })

  it('ctx.checkpoint() after the abort is refused with the abort reason and never written', async () => {
    const { stream, table } = await leasedStream(env, 'lateckpt', 1)
    const recorder = new Recorder()
    let late: Promise<unknown> | undefined
    let entered = false
    const { consumer, clients } = testConsumer(env, stream, table, recorder, {
      workerId: 'worker-c',
      checkpointing: 'manual',
      stopTimeoutMs: 300,
      async processRecords(records, ctx) {
        entered = true
        // A handler that ignores the abort and checkpoints the whole batch the moment it comes:
        // it has not processed the batch, so the checkpoint would skip it.
        await new Promise<void>((resolve) =>
          ctx.signal.addEventListener('abort', () => {
            late = ctx.checkpoint(records.at(-1) as KineRecord).then(
              () => 'written',
              (error: unknown) => error,
            )
            resolve()
          }),
        )
        await late
      },
    })
    try {
      await consumer.start()
      await put(env, stream, 'c', 4)
      await waitFor('the handler running', () => entered, 5 * F)
      const shardId = consumer.leases()[0]!.shardId
      await consumer.stop()
      expect(await late).toMatchObject({ code: 'ABORTED' })
      const item = (await getLease(env.dynamodb, table, shardId))!
      expect(item.checkpoint).toBe('TRIM_HORIZON')
      expect(item.leaseOwner).toBeUndefined()
    } finally {
      await consumer.stop()
      clients.destroy()
    }
  })

  it('a take whose response was lost is adopted at once, not retaken after the lease expires', async () => {
    const { stream, table } = await leasedStream(env, 'losttake', 1)
    const recorder = new Recorder()
    const { consumer, clients } = testConsumer(env, stream, table, recorder, {
      workerId: 'worker-t',
    })
    const takes = loseFirstReply(clients, isTake)
    const taken: boolean[] = []
    consumer.on('leaseTaken', (e) => taken.push(e.handoff))
    try {
      await consumer.start()
      const sent = await put(env, stream, 't', 6)
      await waitFor('every record', () => recorder.distinct().size === sent.length, 5 * F)
      // Without adoption the lease looks held by this worker yet is not: a second take follows F later.
      await new Promise((r) => setTimeout(r, F))
      expect(takes.sent()).toBe(1)
      expect(taken).toEqual([false])
      expect(consumer.leases()).toHaveLength(1)
    } finally {
      await consumer.stop()
      clients.destroy()
    }
  })

  it('a handoff whose response was lost is adopted, and the shard read after the handoff timeout', async () => {
    const { stream, table } = await leasedStream(env, 'losthandoff', 2)
    // Another worker holds both shards and keeps renewing them until one is handed off.
    const other = 'worker-other'
    const counters = new Map<string, number>()
    for (const shardId of ['shardId-000000000000', 'shardId-000000000001']) {
      await env.dynamodb.send(
        new UpdateItemCommand(
          takeLeaseInput(table, { leaseKey: shardId, owner: other, seenCounter: 0 }),
        ),
      )
      counters.set(shardId, 1)
    }
    const renewing = setInterval(() => {
      for (const [shardId, counter] of counters) {
        env.dynamodb
          .send(
            new UpdateItemCommand(
              renewLeaseInput(table, { leaseKey: shardId, owner: other, counter }),
            ),
          )
          .then(
            () => counters.set(shardId, counter + 1),
            () => counters.delete(shardId), // handed off: no longer ours
          )
      }
    }, 300)
    const recorder = new Recorder()
    const { consumer, clients } = testConsumer(env, stream, table, recorder, {
      workerId: 'worker-h',
    })
    const handoffs = loseFirstReply(clients, isHandoff)
    let takeWrites = 0
    clients.dynamodb.middlewareStack.add(
      (next) => (args) => {
        if (isTake(args.input as { UpdateExpression?: string })) takeWrites++
        return next(args)
      },
      { step: 'initialize', name: 'countTakes' },
    )
    const taken: boolean[] = []
    consumer.on('leaseTaken', (e) => taken.push(e.handoff))
    try {
      await consumer.start()
      await waitFor('the handoff written', () => handoffs.sent() === 1, 5 * F)
      await waitFor('the lease held', () => consumer.leases().length === 1, F)
      const shardId = consumer.leases()[0]!.shardId
      const sent = await put(env, stream, 'x', 20)
      const mine = (): number => recorder.seen.filter((s) => s.shardId === shardId).length
      // The previous owner never writes its handoff checkpoint here: reading starts after the timeout.
      await waitFor('records of the handed-off shard', () => mine() > 0, 4 * F)
      expect(sent.length).toBeGreaterThan(0)
      expect(taken).toEqual([true])
      expect(takeWrites).toBe(0)
      expect(handoffs.sent()).toBe(1)
    } finally {
      clearInterval(renewing)
      await consumer.stop()
      clients.destroy()
    }
  })

  it('a child is not taken while a parent the scan missed exists unfinished', async () => {
    const { stream, table } = await newStream(env, 'scanmiss', 1)
    await ensureLeaseTable(env.dynamodb, table)
    const child = 'shardId-000000000000'
    const parent = 'shardId-parent-written-late'
    await env.dynamodb.send(
      new PutItemCommand(createLeaseInput(table, testLease({ leaseKey: parent }))),
    )
    await env.dynamodb.send(
      new PutItemCommand(
        createLeaseInput(table, testLease({ leaseKey: child, parentShardIds: [parent] })),
      ),
    )
    const recorder = new Recorder()
    const { consumer, clients } = testConsumer(env, stream, table, recorder, {
      workerId: 'worker-s',
      scanIntervalMs: 200,
    })
    // Test fault injection: every scan of this worker misses the parent, as a scan does when the
    // item was written behind its position.
    let scans = 0
    clients.dynamodb.middlewareStack.add(
      (next, context) => async (args) => {
        const result = await next(args)
        if (context.commandName !== 'ScanCommand') return result
        scans++
        const output = result.output as { Items?: { leaseKey?: { S?: string } }[] | undefined }
        output.Items = output.Items?.filter((item) => item.leaseKey?.S !== parent)
        return result
      },
      { step: 'initialize', name: 'missParent' },
    )
    try {
      await consumer.start()
      const before = scans
      await waitFor('several scans', () => scans >= before + 4, 10 * F)
      expect(consumer.leases()).toEqual([])
      expect((await getLease(env.dynamodb, table, child))!.leaseOwner).toBeUndefined()
      // Once the parent is finished, the child is taken.
      await env.dynamodb.send(
        new PutItemCommand({
          TableName: table,
          Item: leaseToItem(testLease({ leaseKey: parent, checkpoint: 'SHARD_END' })),
        }),
      )
      await waitFor('the child taken', () => consumer.leases().length === 1, 5 * F)
      expect(consumer.leases()[0]!.shardId).toBe(child)
    } finally {
      await consumer.stop()
      clients.destroy()
    }
  })
})
