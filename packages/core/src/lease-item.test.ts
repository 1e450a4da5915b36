import type { AttributeValue } from '@aws-sdk/client-dynamodb'
import { describe, expect, it } from 'vitest'
import { isKineError } from './errors.js'
import {
  CHECKPOINT_SENTINELS,
  InvalidLeaseItemError,
  checkpointPosition,
  isLeaseFinished,
  isSentinel,
  isSequenceNumber,
  leaseFromItem,
  leaseToItem,
  type Lease,
  type LeaseItem,
} from './lease-item.js'

// Copied verbatim from reference/kcl-lease-items.json (DESIGN.md): lease items as the Java KCL 2.x
// writes them, in DynamoDB JSON (binary values base64, as on the wire).
const KCL_ITEMS: Record<string, Record<string, Record<string, unknown>>> = {
  'new, unowned, at the initial position': {
    leaseKey: {
      S: 'shardId-000000000000',
    },
    leaseCounter: {
      N: '0',
    },
    ownerSwitchesSinceCheckpoint: {
      N: '0',
    },
    checkpoint: {
      S: 'TRIM_HORIZON',
    },
    checkpointSubSequenceNumber: {
      N: '0',
    },
    startingHashKey: {
      S: '0',
    },
    endingHashKey: {
      S: '85070591730234615865843651857942052863',
    },
  },
  'held, checkpointed mid-shard': {
    leaseKey: {
      S: 'shardId-000000000001',
    },
    leaseOwner: {
      S: 'ip-10-0-1-17.ec2.internal:6d1f0c0e-5b5e-4a53-9a1d-0b7f9b1c2d3e',
    },
    leaseCounter: {
      N: '4711',
    },
    ownerSwitchesSinceCheckpoint: {
      N: '0',
    },
    checkpoint: {
      S: '49590338271490256608559692538361571095921575989136588898',
    },
    checkpointSubSequenceNumber: {
      N: '0',
    },
    startingHashKey: {
      S: '85070591730234615865843651857942052864',
    },
    endingHashKey: {
      S: '170141183460469231731687303715884105727',
    },
  },
  'checkpointed inside a KPL aggregate, changed hands once since': {
    leaseKey: {
      S: 'shardId-000000000002',
    },
    leaseOwner: {
      S: 'worker-b',
    },
    leaseCounter: {
      N: '93',
    },
    ownerSwitchesSinceCheckpoint: {
      N: '1',
    },
    checkpoint: {
      S: '49590338271512557353758223161503106829470693451541544994',
    },
    checkpointSubSequenceNumber: {
      N: '3',
    },
    startingHashKey: {
      S: '170141183460469231731687303715884105728',
    },
    endingHashKey: {
      S: '255211775190703847597530955573826158591',
    },
  },
  'parent that ended, with its children': {
    leaseKey: {
      S: 'shardId-000000000003',
    },
    leaseCounter: {
      N: '2210',
    },
    ownerSwitchesSinceCheckpoint: {
      N: '0',
    },
    checkpoint: {
      S: 'SHARD_END',
    },
    checkpointSubSequenceNumber: {
      N: '0',
    },
    childShardIds: {
      SS: ['shardId-000000000004', 'shardId-000000000005'],
    },
    startingHashKey: {
      S: '255211775190703847597530955573826158592',
    },
    endingHashKey: {
      S: '340282366920938463463374607431768211455',
    },
  },
  'child of a split, waiting for its parent': {
    leaseKey: {
      S: 'shardId-000000000004',
    },
    leaseCounter: {
      N: '0',
    },
    ownerSwitchesSinceCheckpoint: {
      N: '0',
    },
    checkpoint: {
      S: 'TRIM_HORIZON',
    },
    checkpointSubSequenceNumber: {
      N: '0',
    },
    parentShardId: {
      SS: ['shardId-000000000003'],
    },
    startingHashKey: {
      S: '255211775190703847597530955573826158592',
    },
    endingHashKey: {
      S: '297747071055821155530452781502797185023',
    },
  },
  'child of a merge: two parents': {
    leaseKey: {
      S: 'shardId-000000000006',
    },
    leaseOwner: {
      S: 'worker-a',
    },
    leaseCounter: {
      N: '12',
    },
    ownerSwitchesSinceCheckpoint: {
      N: '0',
    },
    checkpoint: {
      S: 'TRIM_HORIZON',
    },
    checkpointSubSequenceNumber: {
      N: '0',
    },
    parentShardId: {
      SS: ['shardId-000000000000', 'shardId-000000000001'],
    },
    startingHashKey: {
      S: '0',
    },
    endingHashKey: {
      S: '170141183460469231731687303715884105727',
    },
  },
  'prepared (two-phase) checkpoint pending': {
    leaseKey: {
      S: 'shardId-000000000007',
    },
    leaseOwner: {
      S: 'worker-c',
    },
    leaseCounter: {
      N: '57',
    },
    ownerSwitchesSinceCheckpoint: {
      N: '0',
    },
    checkpoint: {
      S: '49590338271534858098956753784644642563020119232045678690',
    },
    checkpointSubSequenceNumber: {
      N: '0',
    },
    pendingCheckpoint: {
      S: '49590338271534858098956753784644642563020119232045679000',
    },
    pendingCheckpointSubSequenceNumber: {
      N: '0',
    },
    pendingCheckpointState: {
      B: 'c3RhdGU=',
    },
  },
}

/** DynamoDB JSON (as GetItem returns it on the wire) to the SDK's AttributeValue map. */
function fromDynamoJson(item: Record<string, Record<string, unknown>>): LeaseItem {
  const out: LeaseItem = {}
  for (const [name, value] of Object.entries(item)) {
    out[name] =
      typeof value.B === 'string'
        ? { B: new Uint8Array(Buffer.from(value.B, 'base64')) }
        : (value as unknown as AttributeValue)
  }
  return out
}

function kclItem(name: string): LeaseItem {
  const item = KCL_ITEMS[name]
  if (!item) throw new Error(`no golden item ${name}`)
  return fromDynamoJson(item)
}

const EXPECTED: Record<string, Lease> = {
  'new, unowned, at the initial position': {
    leaseKey: 'shardId-000000000000',
    leaseCounter: 0,
    checkpoint: 'TRIM_HORIZON',
    checkpointSubSequenceNumber: 0,
    ownerSwitchesSinceCheckpoint: 0,
    parentShardIds: [],
    childShardIds: [],
    startingHashKey: '0',
    endingHashKey: '85070591730234615865843651857942052863',
  },
  'held, checkpointed mid-shard': {
    leaseKey: 'shardId-000000000001',
    leaseOwner: 'ip-10-0-1-17.ec2.internal:6d1f0c0e-5b5e-4a53-9a1d-0b7f9b1c2d3e',
    leaseCounter: 4711,
    checkpoint: '49590338271490256608559692538361571095921575989136588898',
    checkpointSubSequenceNumber: 0,
    ownerSwitchesSinceCheckpoint: 0,
    parentShardIds: [],
    childShardIds: [],
    startingHashKey: '85070591730234615865843651857942052864',
    endingHashKey: '170141183460469231731687303715884105727',
  },
  'checkpointed inside a KPL aggregate, changed hands once since': {
    leaseKey: 'shardId-000000000002',
    leaseOwner: 'worker-b',
    leaseCounter: 93,
    checkpoint: '49590338271512557353758223161503106829470693451541544994',
    checkpointSubSequenceNumber: 3,
    ownerSwitchesSinceCheckpoint: 1,
    parentShardIds: [],
    childShardIds: [],
    startingHashKey: '170141183460469231731687303715884105728',
    endingHashKey: '255211775190703847597530955573826158591',
  },
  'parent that ended, with its children': {
    leaseKey: 'shardId-000000000003',
    leaseCounter: 2210,
    checkpoint: 'SHARD_END',
    checkpointSubSequenceNumber: 0,
    ownerSwitchesSinceCheckpoint: 0,
    parentShardIds: [],
    childShardIds: ['shardId-000000000004', 'shardId-000000000005'],
    startingHashKey: '255211775190703847597530955573826158592',
    endingHashKey: '340282366920938463463374607431768211455',
  },
  'child of a split, waiting for its parent': {
    leaseKey: 'shardId-000000000004',
    leaseCounter: 0,
    checkpoint: 'TRIM_HORIZON',
    checkpointSubSequenceNumber: 0,
    ownerSwitchesSinceCheckpoint: 0,
    parentShardIds: ['shardId-000000000003'],
    childShardIds: [],
    startingHashKey: '255211775190703847597530955573826158592',
    endingHashKey: '297747071055821155530452781502797185023',
  },
  'child of a merge: two parents': {
    leaseKey: 'shardId-000000000006',
    leaseOwner: 'worker-a',
    leaseCounter: 12,
    checkpoint: 'TRIM_HORIZON',
    checkpointSubSequenceNumber: 0,
    ownerSwitchesSinceCheckpoint: 0,
    parentShardIds: ['shardId-000000000000', 'shardId-000000000001'],
    childShardIds: [],
    startingHashKey: '0',
    endingHashKey: '170141183460469231731687303715884105727',
  },
  'prepared (two-phase) checkpoint pending': {
    leaseKey: 'shardId-000000000007',
    leaseOwner: 'worker-c',
    leaseCounter: 57,
    checkpoint: '49590338271534858098956753784644642563020119232045678690',
    checkpointSubSequenceNumber: 0,
    ownerSwitchesSinceCheckpoint: 0,
    parentShardIds: [],
    childShardIds: [],
    pendingCheckpoint: '49590338271534858098956753784644642563020119232045679000',
    pendingCheckpointSubSequenceNumber: 0,
    pendingCheckpointState: new Uint8Array(Buffer.from('state')),
  },
}

function parseError(item: unknown): InvalidLeaseItemError {
  try {
    leaseFromItem(item as LeaseItem)
  } catch (error) {
    if (error instanceof InvalidLeaseItemError) return error
    throw error
  }
  throw new Error('leaseFromItem accepted the item')
}

describe('leaseFromItem / leaseToItem on the KCL golden items', () => {
  it('covers every golden item', () => {
    expect(Object.keys(EXPECTED).sort()).toEqual(Object.keys(KCL_ITEMS).sort())
  })

  it.each(Object.keys(KCL_ITEMS))('%s: parses to what it means', (name) => {
    expect(leaseFromItem(kclItem(name))).toStrictEqual(EXPECTED[name])
  })

  it.each(Object.keys(KCL_ITEMS))('%s: writes back exactly the same item', (name) => {
    const item = kclItem(name)
    const written = leaseToItem(leaseFromItem(item))
    // Same names, same types (S/N/SS/B), same values, nothing added or dropped.
    expect(written).toStrictEqual(item)
  })

  it('keeps leaseCounter exact up to 2^53 - 1 and refuses what a number cannot hold', () => {
    const item = {
      ...kclItem('held, checkpointed mid-shard'),
      leaseCounter: { N: '9007199254740991' },
    }
    const lease = leaseFromItem(item)
    expect(lease.leaseCounter).toBe(Number.MAX_SAFE_INTEGER)
    expect(leaseToItem(lease).leaseCounter).toEqual({ N: '9007199254740991' })
    const tooBig = parseError({ ...item, leaseCounter: { N: '9007199254740993' } })
    expect(tooBig.problems).toEqual([
      'leaseCounter: "9007199254740993" is not a safe non-negative integer',
    ])
  })
})

describe('attributes kine does not know', () => {
  it('are carried through verbatim, and never shadow lease attributes', () => {
    const extra: LeaseItem = {
      throughputKBps: { N: '12.5' },
      isMarkedForLeaseSteal: { BOOL: true },
      note: { M: { by: { S: 'ops' } } },
    }
    const item = { ...kclItem('child of a merge: two parents'), ...extra }
    const lease = leaseFromItem(item)
    expect(lease.extraAttributes).toStrictEqual(extra)
    expect(leaseToItem(lease)).toStrictEqual(item)
    expect(() =>
      leaseToItem({ ...lease, extraAttributes: { leaseOwner: { S: 'sneaky' } } }),
    ).toThrow(/extraAttributes\.leaseOwner: shadows a lease attribute/)
  })

  it('are absent from the lease when the item has none', () => {
    expect(leaseFromItem(kclItem('held, checkpointed mid-shard'))).not.toHaveProperty(
      'extraAttributes',
    )
  })
})

describe('checkpointOwner (handoff, as KCL 3.x)', () => {
  it('reads and writes it as S', () => {
    const item = {
      ...kclItem('checkpointed inside a KPL aggregate, changed hands once since'),
      checkpointOwner: { S: 'worker-a' },
    }
    const lease = leaseFromItem(item)
    expect(lease.checkpointOwner).toBe('worker-a')
    expect(leaseToItem(lease)).toStrictEqual(item)
  })
})

describe('leaseToItem', () => {
  const base: Lease = {
    leaseKey: 'shardId-000000000009',
    leaseCounter: 0,
    checkpoint: 'LATEST',
    checkpointSubSequenceNumber: 0,
    ownerSwitchesSinceCheckpoint: 0,
    parentShardIds: [],
    childShardIds: [],
  }

  it('leaves empty sets and absent optional fields out (DynamoDB refuses empty sets)', () => {
    expect(leaseToItem(base)).toStrictEqual({
      leaseKey: { S: 'shardId-000000000009' },
      leaseCounter: { N: '0' },
      checkpoint: { S: 'LATEST' },
      checkpointSubSequenceNumber: { N: '0' },
      ownerSwitchesSinceCheckpoint: { N: '0' },
    })
  })

  it('writes each shard id once (DynamoDB refuses a set with duplicates)', () => {
    const item = leaseToItem({ ...base, parentShardIds: ['shardId-1', 'shardId-1', 'shardId-2'] })
    expect(item.parentShardId).toEqual({ SS: ['shardId-1', 'shardId-2'] })
  })

  it('refuses a lease that would make an unreadable item, listing every problem', () => {
    let error: unknown
    try {
      leaseToItem({ ...base, leaseCounter: 1.5, checkpoint: 'BEGINNING', leaseOwner: '' })
    } catch (e) {
      error = e
    }
    expect(error).toBeInstanceOf(InvalidLeaseItemError)
    expect((error as InvalidLeaseItemError).leaseKey).toBe('shardId-000000000009')
    expect((error as InvalidLeaseItemError).problems).toEqual([
      'leaseOwner: must be a non-empty string when present',
      'leaseCounter: 1.5 is not a safe non-negative integer',
      'checkpoint: "BEGINNING" is neither a sequence number nor a sentinel',
    ])
  })
})

describe('leaseFromItem on items it cannot read', () => {
  it('throws InvalidLeaseItemError (a KineError, INVALID_LEASE_ITEM) with the lease key and every problem', () => {
    const error = parseError({
      leaseKey: { S: 'shardId-000000000042' },
      leaseOwner: { N: '7' },
      leaseCounter: { N: 'seven' },
      checkpoint: { S: 'somewhere' },
      parentShardId: { S: 'shardId-000000000041' },
      pendingCheckpointState: { S: 'not bytes' },
    })
    expect(isKineError(error)).toBe(true)
    expect(error.code).toBe('INVALID_LEASE_ITEM')
    expect(error.retryable).toBe(false)
    expect(error.leaseKey).toBe('shardId-000000000042')
    expect(error.problems).toEqual([
      'leaseOwner: expected type S, found N',
      'leaseCounter: "seven" is not a safe non-negative integer',
      'checkpoint: "somewhere" is neither a sequence number nor a sentinel',
      'parentShardId: expected type SS, found S',
      'pendingCheckpointState: expected type B, found S',
    ])
    expect(error.message).toContain('shardId-000000000042')
    expect(error.message).toContain('leaseCounter: "seven"')
  })

  it('reports a missing leaseKey, counter and checkpoint, with no lease key to name', () => {
    const error = parseError({ leaseOwner: { S: 'w' } })
    expect(error.leaseKey).toBeUndefined()
    expect(error.problems).toEqual([
      'leaseKey: missing',
      'leaseCounter: missing',
      'checkpoint: missing',
    ])
  })

  it('refuses negative, fractional and exponent counters and an empty leaseKey', () => {
    for (const n of ['-1', '1.5', '1e3', '']) {
      const error = parseError({
        ...kclItem('held, checkpointed mid-shard'),
        leaseCounter: { N: n },
      })
      expect(error.problems).toEqual([
        `leaseCounter: ${JSON.stringify(n)} is not a safe non-negative integer`,
      ])
    }
    const error = parseError({ ...kclItem('held, checkpointed mid-shard'), leaseKey: { S: '' } })
    expect(error.leaseKey).toBeUndefined()
    expect(error.problems).toEqual(['leaseKey: empty string'])
  })

  it('refuses something that is not an attribute map at all', () => {
    expect(parseError(null).problems).toEqual(['the item is not an attribute map'])
    expect(parseError({ leaseKey: 'shardId-0' }).problems).toContain(
      'leaseKey: not an AttributeValue',
    )
  })

  it('reads absent sub-sequence and owner-switch counts as 0', () => {
    const lease = leaseFromItem({
      leaseKey: { S: 'shardId-000000000010' },
      leaseCounter: { N: '3' },
      checkpoint: { S: 'TRIM_HORIZON' },
    })
    expect(lease.checkpointSubSequenceNumber).toBe(0)
    expect(lease.ownerSwitchesSinceCheckpoint).toBe(0)
    expect(lease).not.toHaveProperty('leaseOwner')
  })
})

describe('kineShardAbsentSince (Sync: first sighting of a gone shard)', () => {
  it('reads and writes it as N, not as an unknown attribute', () => {
    const item = {
      ...kclItem('child of a merge: two parents'),
      kineShardAbsentSince: { N: '1767225600000' },
    }
    const lease = leaseFromItem(item)
    expect(lease.shardAbsentSince).toBe(1767225600000)
    expect(lease).not.toHaveProperty('extraAttributes')
    expect(leaseToItem(lease)).toStrictEqual(item)
  })

  it('refuses one of another type', () => {
    expect(
      parseError({
        ...kclItem('child of a merge: two parents'),
        kineShardAbsentSince: { S: 'yesterday' },
      }).problems,
    ).toEqual(['kineShardAbsentSince: expected type N, found S'])
  })
})

describe('leaseFromItem on items that parse but could never be used', () => {
  const base = (): LeaseItem =>
    kclItem('checkpointed inside a KPL aggregate, changed hands once since')

  it.each([
    [
      'an empty leaseOwner',
      { leaseOwner: { S: '' } },
      'leaseOwner: empty string (absent means free)',
    ],
    ['an empty checkpointOwner', { checkpointOwner: { S: '' } }, 'checkpointOwner: empty string'],
    [
      'a hex startingHashKey',
      { startingHashKey: { S: '0x10' } },
      'startingHashKey: "0x10" is not a decimal hash key',
    ],
    [
      'an endingHashKey beyond 2^128 - 1',
      { endingHashKey: { S: (1n << 128n).toString() } },
      `endingHashKey: "${(1n << 128n).toString()}" is not a decimal hash key`,
    ],
    [
      'a hash key range that ends before it starts',
      { startingHashKey: { S: '10' }, endingHashKey: { S: '9' } },
      'startingHashKey: greater than endingHashKey',
    ],
    ['leaseCounter as S', { leaseCounter: { S: '93' } }, 'leaseCounter: expected type N, found S'],
    ['checkpoint as N', { checkpoint: { N: '42' } }, 'checkpoint: expected type S, found N'],
    [
      'parentShardId as S instead of SS',
      { parentShardId: { S: 'shardId-000000000000' } },
      'parentShardId: expected type SS, found S',
    ],
    [
      'childShardIds as L',
      { childShardIds: { L: [] } },
      'childShardIds: expected type SS, found L',
    ],
    [
      'an empty shard id in a set',
      { parentShardId: { SS: [''] } },
      'parentShardId: holds an empty string',
    ],
    [
      'the lease as its own parent',
      { parentShardId: { SS: ['shardId-000000000002'] } },
      'parentShardId: names the lease itself',
    ],
  ] as [string, LeaseItem, string][])(
    '%s is invalid, with the reason',
    (_name, change, problem) => {
      const error = parseError({ ...base(), ...change })
      expect(error.leaseKey).toBe('shardId-000000000002')
      expect(error.problems).toEqual([problem])
    },
  )

  it('refuses to write such a lease too', () => {
    const lease = leaseFromItem(base())
    expect(() => leaseToItem({ ...lease, startingHashKey: 'abc' })).toThrow(
      /startingHashKey: "abc" is not a decimal hash key/,
    )
    expect(() => leaseToItem({ ...lease, shardAbsentSince: -1 })).toThrow(
      /kineShardAbsentSince: -1 is not a safe non-negative integer/,
    )
  })
})

describe('checkpoint helpers', () => {
  it('knows the four KCL sentinels and nothing else', () => {
    expect([...CHECKPOINT_SENTINELS].sort()).toEqual([
      'AT_TIMESTAMP',
      'LATEST',
      'SHARD_END',
      'TRIM_HORIZON',
    ])
    for (const s of CHECKPOINT_SENTINELS) expect(isSentinel(s)).toBe(true)
    expect(isSentinel('49590338271490256608559692538361571095921575989136588898')).toBe(false)
    expect(isSentinel('trim_horizon')).toBe(false)
    expect(isSequenceNumber('49590338271490256608559692538361571095921575989136588898')).toBe(true)
    expect(isSequenceNumber('SHARD_END')).toBe(false)
  })

  it('tells a finished lease (SHARD_END) from the others', () => {
    expect(isLeaseFinished(leaseFromItem(kclItem('parent that ended, with its children')))).toBe(
      true,
    )
    expect(isLeaseFinished(leaseFromItem(kclItem('held, checkpointed mid-shard')))).toBe(false)
  })

  it('gives the checkpoint as a record position only when it is a sequence number', () => {
    expect(
      checkpointPosition(
        leaseFromItem(kclItem('checkpointed inside a KPL aggregate, changed hands once since')),
      ),
    ).toEqual({
      sequenceNumber: '49590338271512557353758223161503106829470693451541544994',
      subSequenceNumber: 3,
    })
    expect(
      checkpointPosition(leaseFromItem(kclItem('new, unowned, at the initial position'))),
    ).toBeUndefined()
  })
})
