// The fault plan's decisions: repeatable per seed, matched by operation and service, kept to
// their windows and counts.
import { describe, expect, it } from 'vitest'
import { FaultPlan } from './fault-rules.js'

const getRecords = { service: 'kinesis', operation: 'GetRecords' } as const
const scan = { service: 'dynamodb', operation: 'Scan' } as const

function decisions(seed: number, n: number): boolean[] {
  const plan = new FaultPlan(seed, () => 0)
  plan.add({ operations: ['GetRecords'], fault: { kind: 'throttle' }, probability: 0.3 })
  return Array.from({ length: n }, () => plan.decide(getRecords) !== undefined)
}

describe('FaultPlan', () => {
  it('repeats its decisions for the same seed, and differs for another', () => {
    expect(decisions(7, 200)).toEqual(decisions(7, 200))
    expect(decisions(7, 200)).not.toEqual(decisions(8, 200))
    const hits = decisions(7, 2000).filter(Boolean).length
    expect(hits).toBeGreaterThan(450)
    expect(hits).toBeLessThan(750)
  })

  it('matches by operation and service, and the first rule that hits wins', () => {
    const plan = new FaultPlan(1, () => 0)
    plan.add({ operations: ['Scan'], service: 'dynamodb', fault: { kind: 'malformed' } })
    plan.add({ fault: { kind: 'server-error' } })
    expect(plan.decide(scan)?.fault.kind).toBe('malformed')
    expect(plan.decide(getRecords)?.fault.kind).toBe('server-error')
  })

  it('keeps to its window and its count', () => {
    let now = 0
    const plan = new FaultPlan(1, () => now)
    const windowed = plan.add({ fault: { kind: 'reset' }, fromMs: 100, untilMs: 200 })
    expect(plan.decide(scan)).toBeUndefined()
    now = 150
    expect(plan.decide(scan)?.fault.kind).toBe('reset')
    now = 200
    expect(plan.decide(scan)).toBeUndefined()
    windowed.remove()
    plan.add({ fault: { kind: 'truncate' }, count: 2 })
    const hits = [1, 2, 3, 4].map(() => plan.decide(scan)?.fault.kind)
    expect(hits).toEqual(['truncate', 'truncate', undefined, undefined])
  })

  it('refuses a rule it cannot apply', () => {
    const plan = new FaultPlan(1)
    expect(() => plan.add({ fault: { kind: 'throttle' }, probability: 2 })).toThrow(/probability/)
  })
})
