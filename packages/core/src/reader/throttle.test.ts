// The governor on its own, driven by a ManualClock: no client involved.
import { describe, expect, it } from 'vitest'
import { ManualClock } from '../clock.js'
import { maxInWindow, settle } from '../../test/shard-reader-fakes.js'
import { limitsProblems, resolveLimits, ShardThrottle } from './throttle.js'

/** Runs `n` back-to-back acquires and returns the clock time of each. */
async function acquireTimes(
  clock: ManualClock,
  throttle: ShardThrottle,
  n: number,
  op: 'GetRecords' | 'GetShardIterator' = 'GetRecords',
  between: () => void = () => {},
): Promise<number[]> {
  const times: number[] = []
  const run = (async () => {
    for (let i = 0; i < n; i++) {
      await throttle.acquire(op)
      times.push(clock.now())
      between()
    }
  })()
  for (;;) {
    await settle(1)
    if (times.length >= n) break
    await clock.advance(10)
  }
  await run
  return times
}

describe('ShardThrottle', () => {
  it('admits at most 5 calls in any second, and 5 at once when idle', async () => {
    const clock = new ManualClock()
    const throttle = new ShardThrottle(resolveLimits(undefined), clock)
    const times = await acquireTimes(clock, throttle, 23)
    expect(times.slice(0, 5)).toEqual([0, 0, 0, 0, 0])
    expect(maxInWindow(times)).toBe(5)
    // Not slower than it must be: 23 calls need a little over 4 s.
    expect(times.at(-1)).toBe(4000)
  })

  it('counts GetRecords and GetShardIterator separately', async () => {
    const clock = new ManualClock()
    const throttle = new ShardThrottle(resolveLimits(undefined), clock)
    await acquireTimes(clock, throttle, 5, 'GetRecords')
    const iterators = await acquireTimes(clock, throttle, 5, 'GetShardIterator')
    expect(iterators).toEqual([0, 0, 0, 0, 0])
  })

  it('counts attempts charged after the fact (SDK retries it did not see)', async () => {
    const clock = new ManualClock()
    const throttle = new ShardThrottle(resolveLimits(undefined), clock)
    await throttle.acquire('GetRecords')
    throttle.charge('GetRecords', 4) // the SDK tried 5 times in all
    let admitted = false
    const next = throttle.acquire('GetRecords').then(() => (admitted = true))
    await clock.advance(999)
    expect(admitted).toBe(false)
    await clock.advance(1)
    await next
    expect(admitted).toBe(true)
  })

  it('pays back more attempts than a second allows by delaying the calls after them', async () => {
    const clock = new ManualClock()
    const throttle = new ShardThrottle(resolveLimits(undefined), clock)
    await throttle.acquire('GetRecords')
    throttle.charge('GetRecords', 9) // 10 attempts at once: two seconds' worth
    expect(throttle.delay('GetRecords')).toBe(2000)
  })

  it('restamps the newest call to when it really went out', async () => {
    const clock = new ManualClock()
    const throttle = new ShardThrottle(resolveLimits({ getRecordsPerSecond: 1 }), clock)
    await throttle.acquire('GetRecords')
    await clock.advance(300) // e.g. credentials were being fetched
    throttle.restamp('GetRecords')
    expect(throttle.delay('GetRecords')).toBe(1000)
  })

  it('holds the shard 5 s after a 10 MB response', async () => {
    const clock = new ManualClock()
    const throttle = new ShardThrottle(resolveLimits(undefined), clock)
    await throttle.acquire('GetRecords')
    throttle.spendBytes(10_000_000)
    expect(throttle.delay('GetRecords')).toBe(5000)
    await clock.advance(4000)
    expect(throttle.delay('GetRecords')).toBe(1000)
  })

  it('keeps reads to 2 MB/s on average', async () => {
    const clock = new ManualClock()
    const throttle = new ShardThrottle(resolveLimits(undefined), clock)
    // 40 responses of 500 KB: 20 MB, so about 10 s at 2 MB/s.
    const times = await acquireTimes(clock, throttle, 40, 'GetRecords', () =>
      throttle.spendBytes(500_000),
    )
    const span = (times.at(-1) as number) - (times[0] as number)
    expect(span).toBeGreaterThanOrEqual(39 * 250)
    expect(span).toBeLessThan(39 * 250 + 500)
  })

  it("lifts every limit with 'unlimited'", async () => {
    const clock = new ManualClock()
    const throttle = new ShardThrottle(resolveLimits('unlimited'), clock)
    const times = await acquireTimes(clock, throttle, 50, 'GetRecords', () =>
      throttle.spendBytes(10_000_000),
    )
    expect(times.every((t) => t === 0)).toBe(true)
  })

  it('rejects a waiting acquire as soon as its signal aborts', async () => {
    const clock = new ManualClock()
    const throttle = new ShardThrottle(resolveLimits({ getShardIteratorPerSecond: 1 }), clock)
    await throttle.acquire('GetShardIterator')
    const controller = new AbortController()
    const waiting = throttle.acquire('GetShardIterator', controller.signal)
    controller.abort()
    await expect(waiting).rejects.toBe(controller.signal.reason)
    expect(clock.pending).toBe(0)
  })

  it('reports bad limits', () => {
    expect(
      limitsProblems({
        getRecordsPerSecond: 0,
        getShardIteratorPerSecond: 2.5,
        bytesPerSecond: -1,
      }),
    ).toEqual([
      'limits.getRecordsPerSecond: expected a positive integer or Infinity',
      'limits.getShardIteratorPerSecond: expected a positive integer or Infinity',
      'limits.bytesPerSecond: expected a positive number or Infinity',
    ])
    expect(limitsProblems('fast')).toHaveLength(1)
    expect(limitsProblems({ getRecordsPerSecond: Infinity })).toEqual([])
  })
})
