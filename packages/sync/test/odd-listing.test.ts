// Sync never concludes from one odd ListShards answer (rules 8 and 11 of docs/lease-protocol.md,
// and its "Answers that prove nothing"): a listing with no open shard or a missing open shard plans
// nothing; a shard missing from one listing is only marked on its lease (kineShardAbsentSince), and
// its lease is ended only when a second complete listing, some time later, still misses it. On
// kinesis-local + dynalite, with a Kinesis client that can drop shards from ListShards answers.
import { PutItemCommand, UpdateItemCommand } from '@aws-sdk/client-dynamodb'
import type { KinesisClient, ListShardsCommandOutput, Shard } from '@aws-sdk/client-kinesis'
import { scanLeases, type Logger } from '@kine/core'
import { checkpointLeaseInput, leaseToItem, takeLeaseInput } from '@kine/core/lease-table'
import {
  allShards,
  getLease,
  newStream,
  readLeases,
  splitInHalf,
  testLease,
  useEnv,
} from '@kine-tools/testkit'
import { describe, expect, it } from 'vitest'
import { newSync } from './helpers.js'

const env = useEnv()

/** A Kinesis client whose ListShards answers `edit` rewrites (none while unset). */
function editingClient(): {
  client: KinesisClient
  edit: ((shards: Shard[]) => Shard[]) | undefined
  drop: (pick: ((s: Shard) => boolean) | undefined) => void
} {
  const state = {
    edit: undefined as ((shards: Shard[]) => Shard[]) | undefined,
    drop(pick: ((s: Shard) => boolean) | undefined) {
      state.edit = pick === undefined ? undefined : (shards) => shards.filter((s) => !pick(s))
    },
    client: {
      send: async (command: { constructor: { name: string } }, options?: unknown) => {
        const out = (await (env.kinesis.send as (c: unknown, o?: unknown) => Promise<unknown>)(
          command,
          options,
        )) as ListShardsCommandOutput
        const edit = state.edit
        if (command.constructor.name !== 'ListShardsCommand' || edit === undefined) return out
        return { ...out, Shards: edit(out.Shards ?? []) }
      },
    } as unknown as KinesisClient,
  }
  return state
}

/** A logger that keeps its warnings. */
function recordingLogger(): { logger: Logger; warnings: { fields: unknown; message: string }[] } {
  const warnings: { fields: unknown; message: string }[] = []
  const noop = (): void => {}
  const logger: Logger = {
    trace: noop,
    debug: noop,
    info: noop,
    error: noop,
    warn: (fields: unknown, message?: string) =>
      void warnings.push({ fields, message: message ?? String(fields) }),
    child: () => logger,
  }
  return { logger, warnings }
}

const isOpen = (s: Shard): boolean => s.SequenceNumberRange?.EndingSequenceNumber === undefined

describe('a listing with no open shard, or a missing open shard', () => {
  it('plans nothing: no lease is ended, marked or deleted, and the result says why', async () => {
    const { stream, table } = await newStream(env, 'noopen', 2)
    const kinesis = editingClient()
    const { logger, warnings } = recordingLogger()
    const sync = newSync(env, stream, table, {
      kinesis: kinesis.client,
      logger,
      shardGoneConfirmMs: 0,
      gracePeriodMs: 0,
    })
    await sync.init()
    expect((await sync.syncOnce()).created).toHaveLength(2)
    const before = await readLeases(env.dynamodb, table)

    kinesis.drop(isOpen) // every open shard gone from the answer
    for (let pass = 0; pass < 3; pass++) {
      const result = await sync.syncOnce()
      expect(result).toMatchObject({ created: [], ended: [], deleted: [], absent: [] })
      expect(result.skipped).toMatch(/no open shard .*2 leases are not at SHARD_END/)
    }
    const [first] = await allShards(env.kinesis, stream)
    kinesis.drop((s) => s.ShardId === first!.ShardId) // one open shard lost (a page dropped)
    expect((await sync.syncOnce()).skipped).toMatch(/an open shard is missing from the listing/)
    // A shard without its hash key range: malformed, refused the same way (not thrown).
    kinesis.edit = (shards) => shards.map((s) => ({ ...s, HashKeyRange: undefined }))
    expect((await sync.syncOnce()).skipped).toMatch(/without an id or hash key range/)
    expect((await readLeases(env.dynamodb, table)).items).toEqual(before.items)
    expect(warnings.map((w) => w.message)).toContain(
      'sync pass skipped: the shard listing looks malformed or incomplete; nothing was changed',
    )

    // A sound listing again: the pass runs and finds nothing to do.
    kinesis.drop(undefined)
    const sound = await sync.syncOnce()
    expect(sound.skipped).toBeUndefined()
    expect((await readLeases(env.dynamodb, table)).items).toEqual(before.items)
  })
})

describe('a shard missing from one listing only', () => {
  it('is marked, never ended, and unmarked when the next listing shows it', async () => {
    const { stream, table } = await newStream(env, 'flicker', 1)
    const kinesis = editingClient()
    // No memory between passes, as a `syncOnce()` user in a cron job: a new Sync every time.
    const pass = () =>
      newSync(env, stream, table, { kinesis: kinesis.client, shardGoneConfirmMs: 200 }).syncOnce()
    await newSync(env, stream, table).init()
    await pass()
    const [parent] = await allShards(env.kinesis, stream)
    await splitInHalf(env.kinesis, stream, parent!)
    await pass() // the children are leased; the parent is closed and unheld at TRIM_HORIZON

    // One odd answer without the closed parent (its children still cover every hash key).
    kinesis.drop((s) => s.ShardId === parent!.ShardId)
    const odd = await pass()
    expect(odd).toMatchObject({ ended: [], deleted: [], absent: [parent!.ShardId] })
    const marked = await getLease(env.dynamodb, table, parent!.ShardId!)
    expect(marked).toMatchObject({ checkpoint: 'TRIM_HORIZON', leaseCounter: 0 })
    expect(marked!.shardAbsentSince).toBeGreaterThan(Date.now() - 60_000)

    // Past the confirmation delay, a sound listing shows the shard: the mark goes, nothing ends.
    await new Promise((r) => setTimeout(r, 300))
    kinesis.drop(undefined)
    const sound = await pass()
    expect(sound.ended).toEqual([])
    const unmarked = await getLease(env.dynamodb, table, parent!.ShardId!)
    expect(unmarked).toMatchObject({ checkpoint: 'TRIM_HORIZON', leaseCounter: 0 })
    expect(unmarked).not.toHaveProperty('shardAbsentSince')

    // Missing again later: a fresh first sighting, not the old one.
    kinesis.drop((s) => s.ShardId === parent!.ShardId)
    expect((await pass()).ended).toEqual([])
    kinesis.drop(undefined)
    expect((await pass()).ended).toEqual([])
    expect((await getLease(env.dynamodb, table, parent!.ShardId!))!.checkpoint).toBe('TRIM_HORIZON')
  })

  it('a mark never makes a holder write fail', async () => {
    const { stream, table } = await newStream(env, 'holder', 1)
    const sync = newSync(env, stream, table)
    await sync.init()
    await sync.syncOnce()
    const gone = 'shardId-000000000777'
    await env.dynamodb.send(
      new PutItemCommand({
        TableName: table,
        Item: leaseToItem(testLease({ leaseKey: gone, checkpoint: '12', leaseCounter: 3 })),
      }),
    )
    expect((await sync.syncOnce()).absent).toEqual([gone])
    // A worker takes the marked lease and checkpoints it, as @kine/lease does.
    await env.dynamodb.send(
      new UpdateItemCommand(takeLeaseInput(table, { leaseKey: gone, owner: 'w', seenCounter: 3 })),
    )
    await env.dynamodb.send(
      new UpdateItemCommand(
        checkpointLeaseInput(table, { leaseKey: gone, owner: 'w', counter: 4, checkpoint: '13' }),
      ),
    )
    expect(await getLease(env.dynamodb, table, gone)).toMatchObject({
      leaseOwner: 'w',
      leaseCounter: 5,
      checkpoint: '13',
    })
  })

  it('across passes of different Syncs: ended once a listing the confirmation delay later agrees', async () => {
    const { stream, table } = await newStream(env, 'twice', 1)
    await newSync(env, stream, table).init()
    const pass = () => newSync(env, stream, table, { shardGoneConfirmMs: 300 }).syncOnce()
    await pass()
    const gone = 'shardId-000000000777'
    await env.dynamodb.send(
      new PutItemCommand({
        TableName: table,
        Item: leaseToItem(testLease({ leaseKey: gone, checkpoint: '12' })),
      }),
    )
    expect(await pass()).toMatchObject({ absent: [gone], ended: [] })
    expect(await pass()).toMatchObject({ absent: [], ended: [] }) // too soon
    await new Promise((r) => setTimeout(r, 400))
    expect(await pass()).toMatchObject({ absent: [], ended: [gone] })
    expect((await getLease(env.dynamodb, table, gone))!.checkpoint).toBe('SHARD_END')
  })
})

describe('lease items that parse but can never be used', () => {
  it('are warned about once each, occupy their shard, and block nothing else', async () => {
    const { stream, table } = await newStream(env, 'unusable', 2)
    const { logger, warnings } = recordingLogger()
    const sync = newSync(env, stream, table, { logger })
    await sync.init()
    const [a, b] = await allShards(env.kinesis, stream)
    // A lease whose owner is the empty string: neither free nor anyone's.
    await env.dynamodb.send(
      new PutItemCommand({
        TableName: table,
        Item: {
          ...leaseToItem(testLease({ leaseKey: a!.ShardId!, checkpoint: '5' })),
          leaseOwner: { S: '' },
        },
      }),
    )
    for (let i = 0; i < 3; i++) await sync.syncOnce()
    const about = warnings.filter(
      (w) => (w.fields as { leaseKey?: string }).leaseKey === a!.ShardId,
    )
    expect(about).toHaveLength(1)
    expect(about[0]!.fields).toMatchObject({
      problems: ['leaseOwner: empty string (absent means free)'],
    })
    const { leases, invalid } = await scanLeases(env.dynamodb, table)
    expect(leases.map((l) => l.leaseKey)).toEqual([b!.ShardId])
    expect(invalid.map((e) => e.leaseKey)).toEqual([a!.ShardId])
  })
})
