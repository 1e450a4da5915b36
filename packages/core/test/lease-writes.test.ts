// The lease-table contract: every lease write, ensureLeaseTable, scanLeases and what DynamoDB
// charges for them, run as one suite against three engines: the in-memory table of
// @kine/core/testing, dynalite, and Amazon's own DynamoDB Local (when Java is there), so an
// emulator bug can neither hide nor fake a result, and the in-memory table is held to what the
// real engines do. Each test works on its own leaseKey in one shared table per engine. "rule N" is
// rule N of docs/lease-protocol.md.

import {
  DeleteItemCommand,
  DescribeTableCommand,
  GetItemCommand,
  PutItemCommand,
  ScanCommand,
  UpdateItemCommand,
  type AttributeValue,
  type DeleteItemCommandInput,
  type DynamoDBClient,
  type PutItemCommandInput,
  type UpdateItemCommandInput,
} from '@aws-sdk/client-dynamodb'
import { dynamoClient, javaAvailable, startDynamo } from '@kine-tools/local'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ensureLeaseTable, scanLeases, type Lease } from '../src/index.js'
import {
  awsErrorName,
  beginHandoffInput,
  checkpointLeaseInput,
  clearCheckpointOwnerInput,
  clearShardAbsentInput,
  conditionFailedItem,
  createLeaseInput,
  deleteFinishedLeaseInput,
  endUnheldLeaseInput,
  handoffCheckpointInput,
  isConditionalCheckFailed,
  leaseFromItem,
  leaseToItem,
  linkChildrenInput,
  linkParentsInput,
  markShardAbsentInput,
  releaseLeaseInput,
  renewLeaseInput,
  takeLeaseInput,
  type LeaseItem,
} from '../src/lease-table/index.js'
import { InMemoryDynamoDB } from '../src/testing/index.js'

type Engine = 'in-memory' | 'dynalite' | 'dynamodb-local'

const hasJava = javaAvailable()
const ENGINES: { engine: Engine; title: string; skip: boolean }[] = [
  { engine: 'in-memory', title: 'the in-memory table (@kine/core/testing)', skip: false },
  { engine: 'dynalite', title: 'dynalite', skip: false },
  {
    engine: 'dynamodb-local',
    title: hasJava ? 'DynamoDB Local' : 'DynamoDB Local (SKIPPED: no Java on this machine)',
    skip: !hasJava,
  },
]

const TABLE = 'kine-leases'
const SEQ1 = '49590338271490256608559692538361571095921575989136588898'
const SEQ2 = '49590338271490256608559692538361571095921575989136588999'

let nextShard = 0
/** A fresh shard id per test, so tests never see each other's items. */
function shardId(): string {
  nextShard += 1
  return `shardId-${String(nextShard).padStart(12, '0')}`
}

function newLease(leaseKey: string, fields: Partial<Lease> = {}): Lease {
  return {
    leaseKey,
    leaseCounter: 0,
    checkpoint: 'TRIM_HORIZON',
    checkpointSubSequenceNumber: 0,
    ownerSwitchesSinceCheckpoint: 0,
    parentShardIds: [],
    childShardIds: [],
    ...fields,
  }
}

describe.each(ENGINES)('lease writes on $title', ({ engine, skip }) => {
  describe.skipIf(skip)(engine, () => {
    let stop: (() => Promise<void>) | undefined
    let client: DynamoDBClient

    let memory: InMemoryDynamoDB | undefined

    beforeAll(async () => {
      if (engine === 'in-memory') {
        memory = new InMemoryDynamoDB()
        client = memory.asClient()
      } else {
        const dynamo = await startDynamo({ engine })
        stop = () => dynamo.stop()
        // DynamoDB Local 2+ refuses access key ids that are not alphanumeric
        // (UnrecognizedClientException); @kine-tools/local's dummy 'kine-local' has a hyphen.
        client = dynamoClient(dynamo.endpoint, {
          config: { credentials: { accessKeyId: 'kinelocal', secretAccessKey: 'kinelocal' } },
        })
      }
      await ensureLeaseTable(client, TABLE)
    })

    afterAll(async () => {
      client?.destroy()
      await stop?.()
    })

    async function item(leaseKey: string): Promise<LeaseItem | undefined> {
      const { Item } = await client.send(
        new GetItemCommand({
          TableName: TABLE,
          Key: { leaseKey: { S: leaseKey } },
          ConsistentRead: true,
        }),
      )
      return Item
    }

    async function lease(leaseKey: string): Promise<Lease> {
      const found = await item(leaseKey)
      if (found === undefined) throw new Error(`no item ${leaseKey}`)
      return leaseFromItem(found)
    }

    async function update(input: UpdateItemCommandInput): Promise<Lease | undefined> {
      const { Attributes } = await client.send(new UpdateItemCommand(input))
      return Attributes === undefined ? undefined : leaseFromItem(Attributes)
    }

    async function create(l: Lease): Promise<void> {
      await client.send(new PutItemCommand(createLeaseInput(TABLE, l)))
    }

    /** Runs a write that must be refused by its condition; returns the item the engine sent back. */
    async function refused(
      input: UpdateItemCommandInput | PutItemCommandInput | DeleteItemCommandInput,
    ): Promise<LeaseItem | undefined> {
      let error: unknown
      try {
        if ('UpdateExpression' in input) await client.send(new UpdateItemCommand(input))
        else if ('Item' in input) await client.send(new PutItemCommand(input))
        else await client.send(new DeleteItemCommand(input))
      } catch (e) {
        error = e
      }
      expect(
        isConditionalCheckFailed(error),
        `expected ConditionalCheckFailedException, got ${String(error)}`,
      ).toBe(true)
      return conditionFailedItem(error)
    }

    /** A lease held by `owner` at `counter`. */
    async function held(owner: string, counter = 5, fields: Partial<Lease> = {}): Promise<string> {
      const key = shardId()
      await create(newLease(key, { leaseOwner: owner, leaseCounter: counter, ...fields }))
      return key
    }

    describe('ensureLeaseTable', () => {
      it('lets two callers create a missing table at once; both see it ACTIVE', async () => {
        const results = await Promise.all([
          ensureLeaseTable(client, 'kine-race'),
          ensureLeaseTable(client, 'kine-race'),
        ])
        expect(results.filter((r) => r.created)).toHaveLength(1)
        const { Table } = await client.send(new DescribeTableCommand({ TableName: 'kine-race' }))
        expect(Table?.TableStatus).toBe('ACTIVE')
        expect(Table?.KeySchema).toEqual([{ AttributeName: 'leaseKey', KeyType: 'HASH' }])
        await expect(ensureLeaseTable(client, 'kine-race')).resolves.toEqual({ created: false })
      })
    })

    describe('createLease (rules 8, 11)', () => {
      it('stores the item exactly as leaseToItem writes it, sets and bytes included', async () => {
        const key = shardId()
        const l = newLease(key, {
          leaseCounter: 7,
          checkpoint: SEQ1,
          checkpointSubSequenceNumber: 2,
          parentShardIds: ['shardId-p1', 'shardId-p2'],
          startingHashKey: '0',
          endingHashKey: '340282366920938463463374607431768211455',
          pendingCheckpoint: SEQ2,
          pendingCheckpointSubSequenceNumber: 0,
          pendingCheckpointState: new Uint8Array([1, 2, 3]),
          extraAttributes: { throughputKBps: { N: '12.5' } },
        })
        await create(l)
        const stored = await item(key)
        expect(stored).toBeDefined()
        expect(leaseFromItem(stored as LeaseItem)).toEqual(l)
        expect(Object.keys(stored as LeaseItem).sort()).toEqual(Object.keys(leaseToItem(l)).sort())
      })

      it('a second create for the same shard fails and leaves the first one as it was', async () => {
        const key = shardId()
        await create(newLease(key, { checkpoint: 'LATEST', parentShardIds: ['shardId-p'] }))
        const before = await item(key)
        await refused(
          createLeaseInput(TABLE, newLease(key, { checkpoint: 'TRIM_HORIZON', leaseCounter: 9 })),
        )
        expect(await item(key)).toEqual(before)
      })
    })

    describe('renew (rule 1)', () => {
      it('bumps the counter for the owner at its counter, returning the item', async () => {
        const key = await held('a', 5)
        const after = await update(
          renewLeaseInput(TABLE, { leaseKey: key, owner: 'a', counter: 5 }),
        )
        expect(after?.leaseCounter).toBe(6)
        expect(after?.leaseOwner).toBe('a')
        expect((await lease(key)).leaseCounter).toBe(6)
      })

      it('fails with a stale counter (someone else moved it) and changes nothing', async () => {
        const key = await held('a', 5)
        const before = await item(key)
        await refused(renewLeaseInput(TABLE, { leaseKey: key, owner: 'a', counter: 4 }))
        expect(await item(key)).toEqual(before)
      })

      it('fails for a worker that is not the owner', async () => {
        const key = await held('a', 5)
        await refused(renewLeaseInput(TABLE, { leaseKey: key, owner: 'b', counter: 5 }))
        expect((await lease(key)).leaseCounter).toBe(5)
      })

      it('fails on a missing lease without creating it', async () => {
        const key = shardId()
        await refused(renewLeaseInput(TABLE, { leaseKey: key, owner: 'a', counter: 0 }))
        expect(await item(key)).toBeUndefined()
      })

      it('hands back the current item on failure where the engine supports it', async () => {
        const key = await held('a', 5)
        const returned = await refused(
          renewLeaseInput(TABLE, { leaseKey: key, owner: 'a', counter: 3 }),
        )
        if (engine !== 'dynalite') expect(returned).toEqual(await item(key))
        // dynalite ignores ReturnValuesOnConditionCheckFailure: callers fall back to GetItem.
        else expect(returned).toBeUndefined()
      })
    })

    describe('take (rule 3)', () => {
      it('takes a free lease at the counter seen, without counting an owner switch', async () => {
        const key = shardId()
        await create(newLease(key, { leaseCounter: 3 }))
        const after = await update(
          takeLeaseInput(TABLE, { leaseKey: key, owner: 'b', seenCounter: 3 }),
        )
        expect(after).toMatchObject({
          leaseOwner: 'b',
          leaseCounter: 4,
          ownerSwitchesSinceCheckpoint: 0,
        })
      })

      it('takes an expired lease from its owner: counts the switch, drops a stale checkpointOwner', async () => {
        const key = await held('a', 8, { checkpointOwner: 'z', ownerSwitchesSinceCheckpoint: 1 })
        const after = await update(
          takeLeaseInput(TABLE, { leaseKey: key, owner: 'b', seenCounter: 8, seenOwner: 'a' }),
        )
        expect(after).toMatchObject({
          leaseOwner: 'b',
          leaseCounter: 9,
          ownerSwitchesSinceCheckpoint: 2,
        })
        expect(after).not.toHaveProperty('checkpointOwner')
      })

      it('retaking its own lease is not an owner switch', async () => {
        const key = await held('a', 8)
        const after = await update(
          takeLeaseInput(TABLE, { leaseKey: key, owner: 'a', seenCounter: 8, seenOwner: 'a' }),
        )
        expect(after).toMatchObject({
          leaseOwner: 'a',
          leaseCounter: 9,
          ownerSwitchesSinceCheckpoint: 0,
        })
      })

      it('fails once the owner renewed (the lease was not expired after all)', async () => {
        const key = await held('a', 8)
        await update(renewLeaseInput(TABLE, { leaseKey: key, owner: 'a', counter: 8 }))
        await refused(
          takeLeaseInput(TABLE, { leaseKey: key, owner: 'b', seenCounter: 8, seenOwner: 'a' }),
        )
        expect((await lease(key)).leaseOwner).toBe('a')
      })

      it('fails when the lease seen free has been taken since, even at the same counter value', async () => {
        const key = await held('c', 8)
        await refused(takeLeaseInput(TABLE, { leaseKey: key, owner: 'b', seenCounter: 8 }))
        await refused(
          takeLeaseInput(TABLE, { leaseKey: key, owner: 'b', seenCounter: 8, seenOwner: 'a' }),
        )
        expect((await lease(key)).leaseOwner).toBe('c')
      })

      it('lets exactly one of two racing takers win', async () => {
        const key = shardId()
        await create(newLease(key, { leaseCounter: 2 }))
        const results = await Promise.allSettled(
          ['b', 'c'].map((owner) =>
            update(takeLeaseInput(TABLE, { leaseKey: key, owner, seenCounter: 2 })),
          ),
        )
        expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1)
        const loser = results.find((r) => r.status === 'rejected')
        expect(isConditionalCheckFailed(loser?.reason)).toBe(true)
        expect((await lease(key)).leaseCounter).toBe(3)
      })
    })

    describe('checkpoint (rules 6, 8)', () => {
      it('writes the position, resets owner switches, drops a pending checkpoint, and renews', async () => {
        const key = await held('a', 5, {
          ownerSwitchesSinceCheckpoint: 2,
          pendingCheckpoint: SEQ1,
          pendingCheckpointSubSequenceNumber: 0,
          pendingCheckpointState: new Uint8Array([9]),
        })
        const after = await update(
          checkpointLeaseInput(TABLE, {
            leaseKey: key,
            owner: 'a',
            counter: 5,
            checkpoint: SEQ2,
            subSequenceNumber: 4,
          }),
        )
        expect(after).toEqual(
          newLease(key, {
            leaseOwner: 'a',
            leaseCounter: 6,
            checkpoint: SEQ2,
            checkpointSubSequenceNumber: 4,
          }),
        )
      })

      it('fails for a worker that is not the owner, leaving the checkpoint alone', async () => {
        const key = await held('a', 5, { checkpoint: SEQ1 })
        await refused(
          checkpointLeaseInput(TABLE, { leaseKey: key, owner: 'b', counter: 5, checkpoint: SEQ2 }),
        )
        expect((await lease(key)).checkpoint).toBe(SEQ1)
      })

      it('fails with a stale counter (the lease was taken and given back)', async () => {
        const key = await held('a', 5, { checkpoint: SEQ1 })
        await refused(
          checkpointLeaseInput(TABLE, { leaseKey: key, owner: 'a', counter: 4, checkpoint: SEQ2 }),
        )
        expect((await lease(key)).checkpoint).toBe(SEQ1)
      })

      it('writes SHARD_END at a shard end, then release frees it as finished', async () => {
        const key = await held('a', 5, { checkpoint: SEQ1 })
        await update(
          checkpointLeaseInput(TABLE, {
            leaseKey: key,
            owner: 'a',
            counter: 5,
            checkpoint: 'SHARD_END',
          }),
        )
        await update(releaseLeaseInput(TABLE, { leaseKey: key, owner: 'a', counter: 6 }))
        expect(await lease(key)).toEqual(
          newLease(key, { leaseCounter: 7, checkpoint: 'SHARD_END' }),
        )
      })
    })

    describe('cooperative handoff (rule 4)', () => {
      it('A hands over to B: B owns it at once, A may write one checkpoint that never fails B', async () => {
        const key = await held('a', 10, { checkpoint: SEQ1 })
        const begun = await update(
          beginHandoffInput(TABLE, {
            leaseKey: key,
            newOwner: 'b',
            previousOwner: 'a',
            seenCounter: 10,
          }),
        )
        expect(begun).toMatchObject({
          leaseOwner: 'b',
          checkpointOwner: 'a',
          leaseCounter: 11,
          ownerSwitchesSinceCheckpoint: 1,
        })

        // A's next renewal fails; the item shows the handoff.
        const seenByA = await refused(
          renewLeaseInput(TABLE, { leaseKey: key, owner: 'a', counter: 10 }),
        )
        if (seenByA !== undefined)
          expect(leaseFromItem(seenByA)).toMatchObject({ leaseOwner: 'b', checkpointOwner: 'a' })
        // Nor may A checkpoint as a holder any more.
        await refused(
          checkpointLeaseInput(TABLE, { leaseKey: key, owner: 'a', counter: 10, checkpoint: SEQ2 }),
        )

        // B renews it as its own meanwhile.
        await update(renewLeaseInput(TABLE, { leaseKey: key, owner: 'b', counter: 11 }))

        // A's handoff checkpoint lands without touching the counter, so B's next renewal still works.
        await update(
          handoffCheckpointInput(TABLE, {
            leaseKey: key,
            previousOwner: 'a',
            newOwner: 'b',
            checkpoint: SEQ2,
            subSequenceNumber: 1,
          }),
        )
        const afterA = await lease(key)
        expect(afterA).toMatchObject({
          leaseOwner: 'b',
          leaseCounter: 12,
          checkpoint: SEQ2,
          checkpointSubSequenceNumber: 1,
          ownerSwitchesSinceCheckpoint: 0,
        })
        expect(afterA).not.toHaveProperty('checkpointOwner')
        await update(renewLeaseInput(TABLE, { leaseKey: key, owner: 'b', counter: 12 }))

        // A second handoff checkpoint from A fails: checkpointOwner is gone.
        await refused(
          handoffCheckpointInput(TABLE, {
            leaseKey: key,
            previousOwner: 'a',
            newOwner: 'b',
            checkpoint: SEQ1,
          }),
        )
        expect((await lease(key)).checkpoint).toBe(SEQ2)
      })

      it('a late handoff checkpoint from A fails once B cleared checkpointOwner itself', async () => {
        const key = await held('a', 10, { checkpoint: SEQ1 })
        await update(
          beginHandoffInput(TABLE, {
            leaseKey: key,
            newOwner: 'b',
            previousOwner: 'a',
            seenCounter: 10,
          }),
        )
        const cleared = await update(
          clearCheckpointOwnerInput(TABLE, { leaseKey: key, owner: 'b', counter: 11 }),
        )
        expect(cleared).toMatchObject({ leaseOwner: 'b', leaseCounter: 12, checkpoint: SEQ1 })
        expect(cleared).not.toHaveProperty('checkpointOwner')
        await refused(
          handoffCheckpointInput(TABLE, {
            leaseKey: key,
            previousOwner: 'a',
            newOwner: 'b',
            checkpoint: SEQ2,
          }),
        )
        expect((await lease(key)).checkpoint).toBe(SEQ1)
      })

      it('clearCheckpointOwner is fenced on B holding the lease at its counter', async () => {
        const key = await held('a', 10)
        await update(
          beginHandoffInput(TABLE, {
            leaseKey: key,
            newOwner: 'b',
            previousOwner: 'a',
            seenCounter: 10,
          }),
        )
        await refused(clearCheckpointOwnerInput(TABLE, { leaseKey: key, owner: 'b', counter: 10 }))
        await refused(clearCheckpointOwnerInput(TABLE, { leaseKey: key, owner: 'c', counter: 11 }))
        expect((await lease(key)).checkpointOwner).toBe('a')
      })

      it('refuses a second handoff while one is under way, and a handoff from the wrong owner or counter', async () => {
        const key = await held('a', 10)
        await refused(
          beginHandoffInput(TABLE, {
            leaseKey: key,
            newOwner: 'b',
            previousOwner: 'x',
            seenCounter: 10,
          }),
        )
        await refused(
          beginHandoffInput(TABLE, {
            leaseKey: key,
            newOwner: 'b',
            previousOwner: 'a',
            seenCounter: 9,
          }),
        )
        await update(
          beginHandoffInput(TABLE, {
            leaseKey: key,
            newOwner: 'b',
            previousOwner: 'a',
            seenCounter: 10,
          }),
        )
        await refused(
          beginHandoffInput(TABLE, {
            leaseKey: key,
            newOwner: 'c',
            previousOwner: 'b',
            seenCounter: 11,
          }),
        )
        expect(await lease(key)).toMatchObject({
          leaseOwner: 'b',
          checkpointOwner: 'a',
          leaseCounter: 11,
        })
      })

      it('a handoff checkpoint names both workers: it fails if the lease moved on to a third', async () => {
        const key = await held('a', 10)
        await update(
          beginHandoffInput(TABLE, {
            leaseKey: key,
            newOwner: 'b',
            previousOwner: 'a',
            seenCounter: 10,
          }),
        )
        // B died; C takes the expired lease, which removes checkpointOwner.
        await update(
          takeLeaseInput(TABLE, { leaseKey: key, owner: 'c', seenCounter: 11, seenOwner: 'b' }),
        )
        await refused(
          handoffCheckpointInput(TABLE, {
            leaseKey: key,
            previousOwner: 'a',
            newOwner: 'b',
            checkpoint: SEQ2,
          }),
        )
        expect(await lease(key)).toMatchObject({ leaseOwner: 'c', checkpoint: 'TRIM_HORIZON' })
      })
    })

    describe('release (rule 5)', () => {
      it('frees the lease and bumps the counter; a take at the new counter then succeeds', async () => {
        const key = await held('a', 5, { checkpointOwner: 'z' })
        await update(releaseLeaseInput(TABLE, { leaseKey: key, owner: 'a', counter: 5 }))
        const freed = await lease(key)
        expect(freed).toEqual(newLease(key, { leaseCounter: 6 }))
        await update(takeLeaseInput(TABLE, { leaseKey: key, owner: 'b', seenCounter: 6 }))
        expect((await lease(key)).leaseOwner).toBe('b')
      })

      it('fails for a non-owner or a stale counter', async () => {
        const key = await held('a', 5)
        await refused(releaseLeaseInput(TABLE, { leaseKey: key, owner: 'b', counter: 5 }))
        await refused(releaseLeaseInput(TABLE, { leaseKey: key, owner: 'a', counter: 4 }))
        expect((await lease(key)).leaseOwner).toBe('a')
      })
    })

    describe('linkChildren / linkParents', () => {
      it('adds children without touching the counter, so the holder keeps renewing', async () => {
        const key = await held('a', 5)
        await update(
          linkChildrenInput(TABLE, { leaseKey: key, childShardIds: ['shardId-c1', 'shardId-c2'] }),
        )
        await update(linkChildrenInput(TABLE, { leaseKey: key, childShardIds: ['shardId-c2'] }))
        const linked = await lease(key)
        expect(linked.leaseCounter).toBe(5)
        expect([...linked.childShardIds].sort()).toEqual(['shardId-c1', 'shardId-c2'])
        await update(renewLeaseInput(TABLE, { leaseKey: key, owner: 'a', counter: 5 }))
        await update(
          checkpointLeaseInput(TABLE, { leaseKey: key, owner: 'a', counter: 6, checkpoint: SEQ1 }),
        )
      })

      it('adds parents to the parentShardId set', async () => {
        const key = shardId()
        await create(newLease(key, { parentShardIds: ['shardId-p1'] }))
        await update(linkParentsInput(TABLE, { leaseKey: key, parentShardIds: ['shardId-p2'] }))
        const linked = await lease(key)
        expect([...linked.parentShardIds].sort()).toEqual(['shardId-p1', 'shardId-p2'])
        expect(linked.leaseCounter).toBe(0)
      })

      it('fails on a missing lease instead of creating a half item', async () => {
        const key = shardId()
        await refused(linkChildrenInput(TABLE, { leaseKey: key, childShardIds: ['shardId-c1'] }))
        await refused(linkParentsInput(TABLE, { leaseKey: key, parentShardIds: ['shardId-p1'] }))
        expect(await item(key)).toBeUndefined()
      })
    })

    describe('markShardAbsent / clearShardAbsent (rule 8, Sync: two listings agree)', () => {
      it('marks once, leaves every holder field alone, and no holder write fails because of it', async () => {
        const key = await held('a', 5, { checkpoint: SEQ1 })
        await update(markShardAbsentInput(TABLE, { leaseKey: key, shardAbsentSince: 1000 }))
        expect(await lease(key)).toEqual(
          newLease(key, {
            leaseOwner: 'a',
            leaseCounter: 5,
            checkpoint: SEQ1,
            shardAbsentSince: 1000,
          }),
        )
        // A second sighting never moves the first one.
        await refused(markShardAbsentInput(TABLE, { leaseKey: key, shardAbsentSince: 2000 }))
        await update(renewLeaseInput(TABLE, { leaseKey: key, owner: 'a', counter: 5 }))
        await update(
          checkpointLeaseInput(TABLE, { leaseKey: key, owner: 'a', counter: 6, checkpoint: SEQ2 }),
        )
        await update(releaseLeaseInput(TABLE, { leaseKey: key, owner: 'a', counter: 7 }))
        expect((await lease(key)).shardAbsentSince).toBe(1000)
      })

      it('never creates a missing lease', async () => {
        const key = shardId()
        await refused(markShardAbsentInput(TABLE, { leaseKey: key, shardAbsentSince: 1 }))
        expect(await item(key)).toBeUndefined()
      })

      it('clears only the mark it read', async () => {
        const key = shardId()
        await create(newLease(key, { shardAbsentSince: 1000 }))
        await refused(clearShardAbsentInput(TABLE, { leaseKey: key, shardAbsentSince: 999 }))
        await update(clearShardAbsentInput(TABLE, { leaseKey: key, shardAbsentSince: 1000 }))
        expect(await item(key)).not.toHaveProperty('kineShardAbsentSince')
        expect((await lease(key)).leaseCounter).toBe(0)
      })
    })

    describe('endUnheldLease (rule 8, Sync)', () => {
      it('ends an unheld lease of a vanished shard, and only once', async () => {
        const key = shardId()
        await create(
          newLease(key, {
            leaseCounter: 4,
            checkpoint: SEQ1,
            checkpointSubSequenceNumber: 2,
            shardAbsentSince: 7,
          }),
        )
        await update(endUnheldLeaseInput(TABLE, { leaseKey: key, shardAbsentSince: 7 }))
        expect(await lease(key)).toEqual(
          newLease(key, { leaseCounter: 5, checkpoint: 'SHARD_END', shardAbsentSince: 7 }),
        )
        await refused(endUnheldLeaseInput(TABLE, { leaseKey: key, shardAbsentSince: 7 }))
        expect((await lease(key)).leaseCounter).toBe(5)
      })

      it('needs the absence mark it was planned from: none, or another one, refuses', async () => {
        const unmarked = shardId()
        await create(newLease(unmarked, { checkpoint: SEQ1 }))
        await refused(endUnheldLeaseInput(TABLE, { leaseKey: unmarked, shardAbsentSince: 7 }))
        const remarked = shardId()
        await create(newLease(remarked, { checkpoint: SEQ1, shardAbsentSince: 8 }))
        await refused(endUnheldLeaseInput(TABLE, { leaseKey: remarked, shardAbsentSince: 7 }))
        expect((await lease(unmarked)).checkpoint).toBe(SEQ1)
        expect((await lease(remarked)).checkpoint).toBe(SEQ1)
      })

      it('never touches a held lease (its holder treats the shard as ended itself)', async () => {
        const key = await held('a', 5, { checkpoint: SEQ1, shardAbsentSince: 7 })
        await refused(endUnheldLeaseInput(TABLE, { leaseKey: key, shardAbsentSince: 7 }))
        expect((await lease(key)).checkpoint).toBe(SEQ1)
        await update(renewLeaseInput(TABLE, { leaseKey: key, owner: 'a', counter: 5 }))
      })

      it('fails on a missing lease without creating it', async () => {
        const key = shardId()
        await refused(endUnheldLeaseInput(TABLE, { leaseKey: key, shardAbsentSince: 7 }))
        expect(await item(key)).toBeUndefined()
      })

      it('fences a take based on a read from before it', async () => {
        const key = shardId()
        await create(newLease(key, { leaseCounter: 4, shardAbsentSince: 7 }))
        await update(endUnheldLeaseInput(TABLE, { leaseKey: key, shardAbsentSince: 7 }))
        await refused(takeLeaseInput(TABLE, { leaseKey: key, owner: 'b', seenCounter: 4 }))
      })
    })

    describe('deleteFinishedLease (rules 8, 11, Sync)', () => {
      it('deletes an unheld lease at SHARD_END', async () => {
        const key = shardId()
        await create(newLease(key, { checkpoint: 'SHARD_END', childShardIds: ['shardId-c'] }))
        await client.send(new DeleteItemCommand(deleteFinishedLeaseInput(TABLE, { leaseKey: key })))
        expect(await item(key)).toBeUndefined()
      })

      it('keeps a lease that is unfinished, or finished but still held', async () => {
        const unfinished = shardId()
        await create(newLease(unfinished, { checkpoint: SEQ1 }))
        await refused(deleteFinishedLeaseInput(TABLE, { leaseKey: unfinished }))
        expect(await item(unfinished)).toBeDefined()

        const stillHeld = await held('a', 5, { checkpoint: 'SHARD_END' })
        await refused(deleteFinishedLeaseInput(TABLE, { leaseKey: stillHeld }))
        expect(await item(stillHeld)).toBeDefined()
      })

      it('deletes a lease of a gone shard only while it carries the absence mark it was planned from', async () => {
        const cleared = shardId()
        await create(newLease(cleared, { checkpoint: 'SHARD_END' }))
        await refused(deleteFinishedLeaseInput(TABLE, { leaseKey: cleared, shardAbsentSince: 7 }))
        expect(await item(cleared)).toBeDefined()
        const marked = shardId()
        await create(newLease(marked, { checkpoint: 'SHARD_END', shardAbsentSince: 7 }))
        await client.send(
          new DeleteItemCommand(
            deleteFinishedLeaseInput(TABLE, { leaseKey: marked, shardAbsentSince: 7 }),
          ),
        )
        expect(await item(marked)).toBeUndefined()
      })
    })

    describe('table errors', () => {
      it('answers ResourceNotFoundException for a missing table and ResourceInUseException for creating an existing one', async () => {
        const error = await client
          .send(new GetItemCommand({ TableName: 'kine-missing', Key: { leaseKey: { S: 'x' } } }))
          .catch((e: unknown) => e)
        expect(awsErrorName(error)).toBe('ResourceNotFoundException')
        const { CreateTableCommand } = await import('@aws-sdk/client-dynamodb')
        const { createLeaseTableInput } = await import('../src/lease-table.js')
        const again = await client
          .send(new CreateTableCommand(createLeaseTableInput(TABLE)))
          .catch((e: unknown) => e)
        expect(awsErrorName(again)).toBe('ResourceInUseException')
      })

      it('refuses a call whose signal is already aborted, writing nothing', async () => {
        const key = shardId()
        const controller = new AbortController()
        controller.abort()
        const error = await client
          .send(new PutItemCommand(createLeaseInput(TABLE, newLease(key))), {
            abortSignal: controller.signal,
          })
          .catch((e: unknown) => e)
        expect(awsErrorName(error)).toBe('AbortError')
        expect(await item(key)).toBeUndefined()
      })
    })

    describe('expression semantics', () => {
      /** Applies `SET #n = :n` under `condition`; true when the write applied. */
      async function when(
        key: string,
        condition: string,
        values: Record<string, AttributeValue> = {},
      ): Promise<boolean> {
        const names: Record<string, string> = { '#n': 'n' }
        for (const a of ['leaseOwner', 'leaseCounter', 'checkpoint', 'parentShardId', 'x']) {
          if (condition.includes(`#${a}`)) names[`#${a}`] = a
        }
        try {
          await client.send(
            new UpdateItemCommand({
              TableName: TABLE,
              Key: { leaseKey: { S: key } },
              UpdateExpression: 'SET #n = :n',
              ConditionExpression: condition,
              ExpressionAttributeNames: names,
              ExpressionAttributeValues: { ':n': { N: '1' }, ...values },
            }),
          )
          return true
        } catch (error) {
          if (isConditionalCheckFailed(error)) return false
          throw error
        }
      }

      it('compares numbers as numbers, and a missing attribute is unequal to anything', async () => {
        const key = await held('a', 10, { parentShardIds: ['shardId-p1', 'shardId-p2'] })
        expect(await when(key, '#leaseCounter = :v', { ':v': { N: '10.0' } })).toBe(true)
        expect(await when(key, '#leaseCounter < :v', { ':v': { N: '9' } })).toBe(false)
        expect(await when(key, '#leaseCounter < :v', { ':v': { N: '11' } })).toBe(true)
        expect(await when(key, '#leaseCounter = :v', { ':v': { S: '10' } })).toBe(false)
        expect(await when(key, '#x <> :v', { ':v': { S: 'y' } })).toBe(true)
        expect(await when(key, '#x = :v', { ':v': { S: 'y' } })).toBe(false)
        expect(await when(key, '#x < :v', { ':v': { N: '1' } })).toBe(false)
        expect(
          await when(key, '#parentShardId = :v', { ':v': { SS: ['shardId-p2', 'shardId-p1'] } }),
        ).toBe(true)
      })

      it('evaluates AND, OR, NOT and parentheses with their precedence', async () => {
        const key = await held('a', 10)
        const v = { ':a': { S: 'a' }, ':b': { S: 'b' } }
        expect(await when(key, '#leaseOwner = :b OR #leaseOwner = :a AND #x = :a', v)).toBe(false)
        expect(await when(key, '(#leaseOwner = :b OR #leaseOwner = :a) AND NOT #x = :a', v)).toBe(
          true,
        )
        expect(
          await when(key, 'NOT (#leaseOwner = :a OR attribute_exists(#x))', { ':a': { S: 'a' } }),
        ).toBe(false)
        expect(await when(key, 'NOT attribute_exists(#x) AND attribute_exists(#leaseOwner)')).toBe(
          true,
        )
      })

      it('evaluates a condition on a missing item against no attributes', async () => {
        const key = shardId()
        expect(await when(key, 'attribute_exists(#leaseOwner)')).toBe(false)
        expect(await when(key, '#leaseOwner <> :a', { ':a': { S: 'a' } })).toBe(true)
        // The update then created the item from its key and the SET alone.
        expect(await item(key)).toEqual({ leaseKey: { S: key }, n: { N: '1' } })
      })

      it('refuses bad syntax and unused or undefined placeholders with a ValidationException', async () => {
        const key = await held('a', 10)
        const refusals = await Promise.all([
          when(key, '#leaseCounter == :v', { ':v': { N: '10' } }).catch((e: unknown) => e),
          when(key, 'attribute_exists(#leaseCounter)', { ':unused': { N: '1' } }).catch(
            (e: unknown) => e,
          ),
          when(key, '#leaseCounter = :undefined').catch((e: unknown) => e),
          when(key, 'no_such_function(#leaseCounter)').catch((e: unknown) => e),
        ])
        expect(refusals.map(awsErrorName)).toEqual([
          'ValidationException',
          'ValidationException',
          'ValidationException',
          'ValidationException',
        ])
        expect((await lease(key)).leaseCounter).toBe(10)
        expect(await item(key)).not.toHaveProperty('n')
      })
    })

    describe('scan', () => {
      it('pages with Limit and ExclusiveStartKey through every item exactly once', async () => {
        const table = 'kine-paging'
        await ensureLeaseTable(client, table)
        const keys = ['a', 'b', 'c', 'd', 'e'].map((k) => `shardId-${k}`)
        for (const k of keys)
          await client.send(new PutItemCommand(createLeaseInput(table, newLease(k))))
        const seen: string[] = []
        let start: Record<string, AttributeValue> | undefined
        let pages = 0
        do {
          const page = await client.send(
            new ScanCommand({
              TableName: table,
              Limit: 2,
              ConsistentRead: true,
              ...(start ? { ExclusiveStartKey: start } : {}),
            }),
          )
          pages += 1
          expect(page.Items?.length).toBeLessThanOrEqual(2)
          expect(page.Count).toBe(page.Items?.length)
          for (const i of page.Items ?? []) seen.push(i.leaseKey?.S ?? '?')
          start = page.LastEvaluatedKey
        } while (start !== undefined)
        expect(pages).toBeGreaterThanOrEqual(3)
        expect(seen.sort()).toEqual(keys)
      })

      it('scanLeases reads every page of a table larger than one 1 MB page', async () => {
        const table = 'kine-big'
        await ensureLeaseTable(client, table)
        const blob = 'x'.repeat(350_000)
        const keys = Array.from({ length: 8 }, (_, i) => `shardId-big-${i}`)
        for (const k of keys) {
          await client.send(
            new PutItemCommand(
              createLeaseInput(table, newLease(k, { extraAttributes: { blob: { S: blob } } })),
            ),
          )
        }
        let scans = 0
        const counting = {
          send: (command: ScanCommand, options?: { abortSignal?: AbortSignal }) => {
            scans += 1
            return client.send(command, options)
          },
        } as unknown as DynamoDBClient
        const { leases, invalid } = await scanLeases(counting, table)
        expect(invalid).toEqual([])
        expect(leases.map((l) => l.leaseKey).sort()).toEqual(keys)
        expect(leases.every((l) => l.extraAttributes?.blob?.S === blob)).toBe(true)
        expect(scans).toBeGreaterThanOrEqual(3)
      })
    })

    describe('consumed capacity (on-demand units by item size)', () => {
      // Item size: UTF-8 bytes of each attribute name plus its value; a number one byte per two
      // significant digits plus one. `leaseKey` (8) + 'cap-NN' (6) + `d` (1) = 15 bytes + d's value.
      const R = 'TOTAL' as const
      const capKey = (n: number): string => `cap-${String(n).padStart(2, '0')}`

      async function put(item: LeaseItem): Promise<number | undefined> {
        const out = await client.send(
          new PutItemCommand({ TableName: TABLE, Item: item, ReturnConsumedCapacity: R }),
        )
        return out.ConsumedCapacity?.CapacityUnits
      }

      async function get(n: number, consistent: boolean): Promise<number | undefined> {
        const out = await client.send(
          new GetItemCommand({
            TableName: TABLE,
            Key: { leaseKey: { S: capKey(n) } },
            ConsistentRead: consistent,
            ReturnConsumedCapacity: R,
          }),
        )
        return out.ConsumedCapacity?.CapacityUnits
      }

      const sized = (n: number, bytes: number): LeaseItem => ({
        leaseKey: { S: capKey(n) },
        d: { S: 'x'.repeat(bytes - 15) },
      })

      it('charges writes 1 unit per started KB and reads 1 per started 4 KB (half if eventual)', async () => {
        const cases: [bytes: number, write: number, strong: number, eventual: number][] = [
          [100, 1, 1, 0.5],
          [1024, 1, 1, 0.5],
          [1025, 2, 1, 0.5],
          [2500, 3, 1, 0.5],
          [4096, 4, 1, 0.5],
          [4097, 5, 2, 1],
          [9000, 9, 3, 1.5],
        ]
        const got: [number, number | undefined, number | undefined, number | undefined][] = []
        for (const [i, [bytes]] of cases.entries()) {
          got.push([bytes, await put(sized(i, bytes)), await get(i, true), await get(i, false)])
        }
        expect(got).toEqual(cases)
        // A number: '12345' is 3 bytes + 1, so `a` costs 5 bytes and 1019 bytes is still 1 unit.
        expect(await put({ ...sized(20, 1019), a: { N: '12345' } })).toBe(1)
        expect(await put({ ...sized(21, 1020), a: { N: '12345' } })).toBe(2)
        // Digits are stored in pairs aligned on the decimal point: '-12.5' takes 1 + 2 + 1 (sign),
        // '1000' takes 1 + 1.
        expect(await put({ ...sized(22, 1019), a: { N: '-12.5' } })).toBe(1)
        expect(await put({ ...sized(23, 1020), a: { N: '-12.5' } })).toBe(2)
        expect(await put({ ...sized(24, 1021), a: { N: '1000' } })).toBe(1)
        expect(await put({ ...sized(25, 1022), a: { N: '1000' } })).toBe(2)
      })

      it('charges an update by the larger of the item before and after, a delete by the item deleted', async () => {
        await put(sized(30, 2500))
        const shrink = await client.send(
          new UpdateItemCommand({
            TableName: TABLE,
            Key: { leaseKey: { S: capKey(30) } },
            UpdateExpression: 'REMOVE d',
            ReturnConsumedCapacity: R,
          }),
        )
        expect(shrink.ConsumedCapacity?.CapacityUnits).toBe(3)
        await put(sized(31, 5000))
        const deleted = await client.send(
          new DeleteItemCommand({
            TableName: TABLE,
            Key: { leaseKey: { S: capKey(31) } },
            ReturnConsumedCapacity: R,
          }),
        )
        expect(deleted.ConsumedCapacity?.CapacityUnits).toBe(5)
        const nothing = await client.send(
          new DeleteItemCommand({
            TableName: TABLE,
            Key: { leaseKey: { S: capKey(31) } },
            ReturnConsumedCapacity: R,
          }),
        )
        expect(nothing.ConsumedCapacity?.CapacityUnits).toBe(1)
      })

      it('charges a scan by the total size read, rounded up per 4 KB', async () => {
        const table = 'kine-capacity-scan'
        await ensureLeaseTable(client, table)
        for (const [i, bytes] of [3000, 3000, 3000].entries()) {
          await client.send(new PutItemCommand({ TableName: table, Item: sized(i, bytes) }))
        }
        const scan = async (consistent: boolean): Promise<number | undefined> =>
          (
            await client.send(
              new ScanCommand({
                TableName: table,
                ConsistentRead: consistent,
                ReturnConsumedCapacity: R,
              }),
            )
          ).ConsumedCapacity?.CapacityUnits
        // 9000 bytes: 3 units strongly consistent, 1.5 eventually. dynalite charges every scan as
        // eventually consistent, unlike DynamoDB (and DynamoDB Local).
        expect([await scan(true), await scan(false)]).toEqual([
          engine === 'dynalite' ? 1.5 : 3,
          1.5,
        ])
      })

      // Defined only for the in-memory table, so no engine reports it as skipped.
      if (engine === 'in-memory')
        it('the in-memory table counts requests and units in stats()', async () => {
          const m = memory as InMemoryDynamoDB
          m.resetStats()
          const key = shardId()
          await create(newLease(key))
          await update(takeLeaseInput(TABLE, { leaseKey: key, owner: 'a', seenCounter: 0 }))
          await refused(takeLeaseInput(TABLE, { leaseKey: key, owner: 'b', seenCounter: 0 }))
          await item(key)
          await put(sized(40, 2500))
          expect(m.stats()).toEqual({
            requests: {
              CreateTable: 0,
              DescribeTable: 0,
              PutItem: 2,
              UpdateItem: 2,
              GetItem: 1,
              Scan: 0,
              DeleteItem: 0,
            },
            readUnits: 1,
            writeUnits: 1 + 1 + 1 + 3,
            conditionalCheckFailures: 1,
          })
        })
    })

    // Defined only for the in-memory table, so no engine reports it as skipped.
    if (engine === 'in-memory')
      describe('what the in-memory table refuses to fake', () => {
        it('refuses nested paths and parameters it does not implement, rather than ignoring them', async () => {
          const key = await held('a', 1)
          const nested = await client
            .send(
              new UpdateItemCommand({
                TableName: TABLE,
                Key: { leaseKey: { S: key } },
                UpdateExpression: 'SET m.x = :v',
                ExpressionAttributeValues: { ':v': { S: 'y' } },
              }),
            )
            .catch((e: unknown) => e)
          expect(awsErrorName(nested)).toBe('ValidationException')
          const filtered = await client
            .send(
              new ScanCommand({
                TableName: TABLE,
                FilterExpression: 'attribute_exists(leaseOwner)',
              }),
            )
            .catch((e: unknown) => e)
          expect(awsErrorName(filtered)).toBe('ValidationException')
        })

        it('keeps stored items apart from the objects passed in and handed out', async () => {
          const key = shardId()
          const input = createLeaseInput(TABLE, newLease(key))
          await client.send(new PutItemCommand(input))
          ;(input.Item as LeaseItem).leaseCounter = { N: '99' }
          const out = (await item(key)) as LeaseItem
          out.leaseCounter = { N: '42' }
          expect((await lease(key)).leaseCounter).toBe(0)
        })
      })
  })
})
