// HeldLease's state on its own; "rule N" is rule N of docs/lease-protocol.md.
import type { Lease } from '@kine/core'
import { describe, expect, it } from 'vitest'
import { HeldLease } from './held-lease.js'

const lease = (fields: Partial<Lease> = {}): Lease => ({
  leaseKey: 'shardId-000000000000',
  leaseOwner: 'me',
  leaseCounter: 7,
  checkpoint: '100',
  checkpointSubSequenceNumber: 2,
  ownerSwitchesSinceCheckpoint: 0,
  parentShardIds: [],
  childShardIds: [],
  ...fields,
})

describe('HeldLease', () => {
  it('runs one write at a time, in order, even when one fails', async () => {
    const h = new HeldLease(lease(), 0, 'running')
    const log: string[] = []
    let inFlight = 0
    const write =
      (name: string, fail = false) =>
      async () => {
        inFlight++
        expect(inFlight).toBe(1)
        await new Promise((r) => setTimeout(r, 5))
        log.push(name)
        inFlight--
        if (fail) throw new Error(name)
      }
    const results = await Promise.allSettled([
      h.enqueue(write('renew')),
      h.enqueue(write('checkpoint', true)),
      h.enqueue(write('release')),
    ])
    expect(log).toEqual(['renew', 'checkpoint', 'release'])
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled'])
  })

  it('never moves a checkpoint backwards, inside a KPL aggregate too', () => {
    const h = new HeldLease(lease(), 0, 'running')
    expect(h.isAhead({ sequenceNumber: '100', subSequenceNumber: 2 })).toBe(false)
    expect(h.isAhead({ sequenceNumber: '100', subSequenceNumber: 1 })).toBe(false)
    expect(h.isAhead({ sequenceNumber: '99', subSequenceNumber: 9 })).toBe(false)
    expect(h.isAhead({ sequenceNumber: '100', subSequenceNumber: 3 })).toBe(true)
    expect(
      new HeldLease(lease({ checkpoint: 'TRIM_HORIZON' }), 0, 'running').isAhead({
        sequenceNumber: '1',
        subSequenceNumber: 0,
      }),
    ).toBe(true)
    expect(
      new HeldLease(lease({ checkpoint: 'SHARD_END' }), 0, 'running').isAhead({
        sequenceNumber: '1',
        subSequenceNumber: 0,
      }),
    ).toBe(false)
  })

  it('its rule-2 deadline runs from when the last successful write was sent', () => {
    const h = new HeldLease(lease(), 1_000, 'running')
    expect(h.deadline(10_000)).toBe(11_000)
  })
})
