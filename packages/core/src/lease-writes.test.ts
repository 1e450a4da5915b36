import {
  ConditionalCheckFailedException,
  type DeleteItemCommandInput,
  type PutItemCommandInput,
  type UpdateItemCommandInput,
} from '@aws-sdk/client-dynamodb'
import { describe, expect, it } from 'vitest'
import { InvalidConfigError } from './errors.js'
import {
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
  linkChildrenInput,
  linkParentsInput,
  markShardAbsentInput,
  releaseLeaseInput,
  renewLeaseInput,
  takeLeaseInput,
} from './lease-writes.js'

// The full behaviour of each write (what it changes, what its condition refuses) is tested against
// dynalite and DynamoDB Local in test/lease-writes.test.ts; these tests cover what needs no engine.

const T = 'leases'
const SEQ = '49590338271490256608559692538361571095921575989136588898'

type AnyInput = UpdateItemCommandInput | PutItemCommandInput | DeleteItemCommandInput

const ALL: Record<string, AnyInput> = {
  createLeaseInput: createLeaseInput(T, {
    leaseKey: 'shardId-0',
    leaseCounter: 0,
    checkpoint: 'TRIM_HORIZON',
    checkpointSubSequenceNumber: 0,
    ownerSwitchesSinceCheckpoint: 0,
    parentShardIds: [],
    childShardIds: [],
  }),
  renewLeaseInput: renewLeaseInput(T, { leaseKey: 'shardId-0', owner: 'a', counter: 1 }),
  takeLeaseInput: takeLeaseInput(T, {
    leaseKey: 'shardId-0',
    owner: 'b',
    seenCounter: 1,
    seenOwner: 'a',
  }),
  takeFreeLeaseInput: takeLeaseInput(T, { leaseKey: 'shardId-0', owner: 'b', seenCounter: 1 }),
  beginHandoffInput: beginHandoffInput(T, {
    leaseKey: 'shardId-0',
    newOwner: 'b',
    previousOwner: 'a',
    seenCounter: 1,
  }),
  handoffCheckpointInput: handoffCheckpointInput(T, {
    leaseKey: 'shardId-0',
    previousOwner: 'a',
    newOwner: 'b',
    checkpoint: SEQ,
  }),
  clearCheckpointOwnerInput: clearCheckpointOwnerInput(T, {
    leaseKey: 'shardId-0',
    owner: 'b',
    counter: 2,
  }),
  checkpointLeaseInput: checkpointLeaseInput(T, {
    leaseKey: 'shardId-0',
    owner: 'a',
    counter: 1,
    checkpoint: SEQ,
    subSequenceNumber: 2,
  }),
  releaseLeaseInput: releaseLeaseInput(T, { leaseKey: 'shardId-0', owner: 'a', counter: 1 }),
  linkChildrenInput: linkChildrenInput(T, { leaseKey: 'shardId-0', childShardIds: ['shardId-1'] }),
  linkParentsInput: linkParentsInput(T, { leaseKey: 'shardId-1', parentShardIds: ['shardId-0'] }),
  endUnheldLeaseInput: endUnheldLeaseInput(T, { leaseKey: 'shardId-0', shardAbsentSince: 1000 }),
  deleteFinishedLeaseInput: deleteFinishedLeaseInput(T, { leaseKey: 'shardId-0' }),
  deleteGoneLeaseInput: deleteFinishedLeaseInput(T, { leaseKey: 'shardId-0', shardAbsentSince: 1 }),
  markShardAbsentInput: markShardAbsentInput(T, { leaseKey: 'shardId-0', shardAbsentSince: 1 }),
  clearShardAbsentInput: clearShardAbsentInput(T, { leaseKey: 'shardId-0', shardAbsentSince: 1 }),
}

describe('every lease write', () => {
  it.each(Object.entries(ALL))(
    '%s: a complete, condition-expression-only input',
    (_name, input) => {
      expect(input.TableName).toBe(T)
      expect(typeof input.ConditionExpression).toBe('string')
      expect(input).not.toHaveProperty('Expected')
      expect(input).not.toHaveProperty('ConditionalOperator')
      expect(input).not.toHaveProperty('AttributeUpdates')
      // DynamoDB refuses a request that declares a placeholder it does not use, or uses one it does
      // not declare: both directions are checked.
      const update = 'UpdateExpression' in input ? input.UpdateExpression : undefined
      const text = `${update ?? ''} ${input.ConditionExpression ?? ''}`
      const used = new Set(text.match(/[#:][A-Za-z0-9_]+/g) ?? [])
      const declared = new Set([
        ...Object.keys(input.ExpressionAttributeNames ?? {}),
        ...Object.keys(input.ExpressionAttributeValues ?? {}),
      ])
      expect([...used].sort()).toEqual([...declared].sort())
    },
  )

  it('addresses the item by leaseKey only', () => {
    for (const [name, input] of Object.entries(ALL)) {
      if (!('Key' in input)) continue
      expect(input.Key).toEqual({
        leaseKey: { S: name === 'linkParentsInput' ? 'shardId-1' : 'shardId-0' },
      })
    }
  })
})

describe('write-specific shape', () => {
  it('linkChildren and linkParents name only their set and the key: nothing a holder owns', () => {
    expect(Object.values(ALL.linkChildrenInput?.ExpressionAttributeNames ?? {}).sort()).toEqual([
      'childShardIds',
      'leaseKey',
    ])
    expect(Object.values(ALL.linkParentsInput?.ExpressionAttributeNames ?? {}).sort()).toEqual([
      'leaseKey',
      'parentShardId',
    ])
  })

  it('the absence mark writes name only the mark and the key: nothing a holder owns', () => {
    for (const input of [ALL.markShardAbsentInput, ALL.clearShardAbsentInput]) {
      expect(Object.values(input?.ExpressionAttributeNames ?? {})).not.toContain('leaseCounter')
      expect(Object.values(input?.ExpressionAttributeNames ?? {})).not.toContain('leaseOwner')
    }
  })

  it('ending a gone shard, and deleting one, are conditioned on the absence mark Sync read', () => {
    expect(ALL.endUnheldLeaseInput?.ConditionExpression).toContain('#kineShardAbsentSince = :since')
    expect(ALL.endUnheldLeaseInput?.ExpressionAttributeValues?.[':since']).toEqual({ N: '1000' })
    expect(ALL.deleteGoneLeaseInput?.ConditionExpression).toContain(
      '#kineShardAbsentSince = :since',
    )
    expect(ALL.deleteFinishedLeaseInput?.ConditionExpression).not.toContain('kineShardAbsentSince')
  })

  it('handoffCheckpoint leaves leaseCounter alone', () => {
    expect(Object.values(ALL.handoffCheckpointInput?.ExpressionAttributeNames ?? {})).not.toContain(
      'leaseCounter',
    )
  })

  it('take counts an owner switch only when the lease changes hands', () => {
    const switches = (input: { UpdateExpression?: string | undefined }): boolean =>
      input.UpdateExpression?.includes('#ownerSwitchesSinceCheckpoint') ?? false
    expect(
      switches(takeLeaseInput(T, { leaseKey: 'k', owner: 'b', seenCounter: 1, seenOwner: 'a' })),
    ).toBe(true)
    expect(switches(takeLeaseInput(T, { leaseKey: 'k', owner: 'b', seenCounter: 1 }))).toBe(false)
    expect(
      switches(takeLeaseInput(T, { leaseKey: 'k', owner: 'b', seenCounter: 1, seenOwner: 'b' })),
    ).toBe(false)
  })

  it('link writes send each shard id once (DynamoDB refuses a set with duplicates)', () => {
    const input = linkChildrenInput(T, { leaseKey: 'k', childShardIds: ['c1', 'c2', 'c1'] })
    expect(input.ExpressionAttributeValues?.[':ids']).toEqual({ SS: ['c1', 'c2'] })
  })

  it('asks for the item back when a fenced write fails, so a worker can skip a GetItem', () => {
    expect(ALL.renewLeaseInput?.ReturnValuesOnConditionCheckFailure).toBe('ALL_OLD')
    expect(ALL.checkpointLeaseInput?.ReturnValuesOnConditionCheckFailure).toBe('ALL_OLD')
    expect(ALL.takeLeaseInput).toHaveProperty('ReturnValues', 'ALL_NEW')
  })
})

describe('parameter checks', () => {
  function problems(run: () => unknown): readonly string[] {
    try {
      run()
    } catch (error) {
      if (error instanceof InvalidConfigError) return error.problems
      throw error
    }
    throw new Error('no error')
  }

  it('refuses a stale-counter-shaped value instead of sending a wrong fence', () => {
    expect(problems(() => renewLeaseInput('', { leaseKey: '', owner: 'a', counter: -1 }))).toEqual([
      'tableName: expected a non-empty string, got ""',
      'leaseKey: expected a non-empty string, got ""',
      'counter: expected a non-negative integer, got -1',
    ])
    expect(
      problems(() =>
        checkpointLeaseInput(T, { leaseKey: 'k', owner: 'a', counter: 2 ** 53, checkpoint: 'x' }),
      ),
    ).toEqual([
      'counter: expected a non-negative integer, got 9007199254740992',
      'checkpoint: "x" is neither a sequence number nor a sentinel',
    ])
  })

  it('refuses a handoff to oneself and empty link lists', () => {
    expect(
      problems(() =>
        beginHandoffInput(T, { leaseKey: 'k', newOwner: 'a', previousOwner: 'a', seenCounter: 1 }),
      ),
    ).toEqual(['newOwner: must differ from previousOwner'])
    expect(problems(() => linkChildrenInput(T, { leaseKey: 'k', childShardIds: [] }))).toEqual([
      'childShardIds: expected an array of at least 1 non-empty string, got an array of 0',
    ])
  })

  it('refuses to end a gone shard without the absence mark it was seen with', () => {
    expect(
      problems(() =>
        endUnheldLeaseInput(T, { leaseKey: 'k' } as unknown as {
          leaseKey: string
          shardAbsentSince: number
        }),
      ),
    ).toEqual(['shardAbsentSince: required, expected a non-negative integer'])
  })
})

describe('isConditionalCheckFailed / conditionFailedItem', () => {
  it('recognises the SDK exception, with or without the old item', () => {
    const withItem = new ConditionalCheckFailedException({
      message: 'The conditional request failed',
      $metadata: {},
      Item: { leaseKey: { S: 'k' } },
    })
    expect(isConditionalCheckFailed(withItem)).toBe(true)
    expect(conditionFailedItem(withItem)).toEqual({ leaseKey: { S: 'k' } })
    const bare = new ConditionalCheckFailedException({ message: 'failed', $metadata: {} })
    expect(conditionFailedItem(bare)).toBeUndefined()
  })

  it('recognises it by name from another copy of the SDK, and nothing else', () => {
    expect(isConditionalCheckFailed({ name: 'ConditionalCheckFailedException' })).toBe(true)
    expect(isConditionalCheckFailed(new Error('ConditionalCheckFailedException'))).toBe(false)
    expect(isConditionalCheckFailed({ name: 'TransactionCanceledException' })).toBe(false)
    expect(isConditionalCheckFailed(undefined)).toBe(false)
    expect(conditionFailedItem({ name: 'ValidationException', Item: {} })).toBeUndefined()
  })
})
