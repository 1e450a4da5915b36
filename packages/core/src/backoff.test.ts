import { describe, expect, it } from 'vitest'
import { backoffDelay } from './backoff.js'

describe('backoffDelay', () => {
  it('grows exponentially up to the cap', () => {
    const mid = (attempt: number): number =>
      backoffDelay(attempt, { baseMs: 100, capMs: 1_000, random: () => 1 })
    expect([0, 1, 2, 3, 4, 10].map(mid)).toEqual([100, 200, 400, 800, 1_000, 1_000])
  })

  it('is jittered within [step/2, step]', () => {
    const samples = Array.from({ length: 200 }, () =>
      backoffDelay(3, { baseMs: 100, capMs: 10_000 }),
    )
    expect(Math.min(...samples)).toBeGreaterThanOrEqual(400)
    expect(Math.max(...samples)).toBeLessThanOrEqual(800)
    expect(new Set(samples.map((s) => Math.round(s))).size).toBeGreaterThan(50)
  })
})
