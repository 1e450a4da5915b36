// raceAbort and withDeadline on a ManualClock: each gives up at the moment it should, with the
// reason a caller branches on, and never leaves a late rejection unhandled.
import { describe, expect, it } from 'vitest'
import { raceAbort, withDeadline } from './abort.js'
import { ManualClock } from './clock.js'
import { AbortedError, KineError } from './errors.js'

/** A promise settled by hand, standing for work that ignores its signal. */
function pending<T>(): {
  promise: Promise<T>
  resolve: (v: T) => void
  reject: (e: unknown) => void
} {
  let resolve!: (v: T) => void
  let reject!: (e: unknown) => void
  const promise = new Promise<T>((res, rej) => {
    resolve = res
    reject = rej
  })
  return { promise, resolve, reject }
}

const settled = async (p: Promise<unknown>): Promise<unknown> =>
  p.then(
    (value) => ({ value }),
    (error: unknown) => ({ error }),
  )

describe('raceAbort', () => {
  it('settles with the promise while the signal stays quiet', async () => {
    const work = pending<number>()
    const raced = raceAbort(work.promise, new AbortController().signal)
    work.resolve(7)
    expect(await raced).toBe(7)
  })

  it("rejects with the signal's Error reason the moment it aborts, and absorbs the late rejection", async () => {
    const work = pending<number>()
    const controller = new AbortController()
    const raced = settled(raceAbort(work.promise, controller.signal))
    const reason = new KineError('TIMEOUT', 'too slow')
    controller.abort(reason)
    expect(await raced).toEqual({ error: reason })
    // Would be an unhandled rejection (and fail the run) if it were not absorbed.
    work.reject(new Error('late'))
    await new Promise((r) => setTimeout(r, 0))
  })

  it('rejects with an AbortedError for a reason that is not an Error, and at once when already aborted', async () => {
    const controller = new AbortController()
    controller.abort('just because')
    const outcome = (await settled(raceAbort(pending<number>().promise, controller.signal))) as {
      error: unknown
    }
    expect(outcome.error).toBeInstanceOf(AbortedError)
  })

  it('wraps a rejection that is not an Error', async () => {
    const work = pending<number>()
    const raced = settled(raceAbort(work.promise, new AbortController().signal))
    work.reject('plain string')
    const outcome = (await raced) as { error: Error }
    expect(outcome.error).toBeInstanceOf(Error)
    expect(outcome.error.message).toBe('plain string')
  })
})

describe('withDeadline', () => {
  it('gives up with a retryable TIMEOUT when the deadline passes, and aborts the call', async () => {
    const clock = new ManualClock()
    const work = pending<number>()
    let seen: AbortSignal | undefined
    const run = settled(
      withDeadline({ clock, timeoutMs: 500, what: 'GetItem' }, (signal) => {
        seen = signal
        return work.promise
      }),
    )
    await clock.advance(499)
    expect(seen?.aborted).toBe(false)
    await clock.advance(1)
    const outcome = (await run) as { error: KineError }
    expect(outcome.error).toMatchObject({ code: 'TIMEOUT', retryable: true })
    expect(outcome.error.message).toBe('GetItem took over 500 ms')
    expect(seen?.aborted).toBe(true)
  })

  it("stops with the caller's reason when the caller aborts first", async () => {
    const clock = new ManualClock()
    const caller = new AbortController()
    const run = settled(
      withDeadline(
        { clock, timeoutMs: 500, what: 'Scan', signal: caller.signal },
        () => pending<number>().promise,
      ),
    )
    const reason = new AbortedError('consumer stopped')
    caller.abort(reason)
    expect(await run).toEqual({ error: reason })
  })

  it('returns what the call returns in time, and with Infinity never times out', async () => {
    const clock = new ManualClock()
    expect(
      await withDeadline({ clock, timeoutMs: 500, what: 'x' }, () => Promise.resolve('ok')),
    ).toBe('ok')
    const work = pending<string>()
    const run = withDeadline({ clock, timeoutMs: Infinity, what: 'x' }, () => work.promise)
    await clock.advance(1e9)
    work.resolve('late but fine')
    expect(await run).toBe('late but fine')
  })
})
