import { spawnSync } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { ManualClock } from './clock.js'

// Runs a snippet in a fresh Node process against the built package: whether a pending sleep keeps
// a process alive is only visible from outside it.
const dist = fileURLToPath(new URL('../dist/index.js', import.meta.url))
function runNode(source: string): { stdout: string; ms: number } {
  const started = performance.now()
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', source], {
    encoding: 'utf8',
    timeout: 20_000,
  })
  return { stdout: r.stdout, ms: performance.now() - started }
}

describe('systemClock and backgroundClock', () => {
  it("systemClock's sleep keeps the process alive until it ends (a caught-up reader must not exit)", () => {
    const { stdout } = runNode(
      `import { systemClock } from ${JSON.stringify(dist)}; await systemClock.sleep(300); console.log('woke')`,
    )
    expect(stdout.trim()).toBe('woke')
  })

  it("backgroundClock's sleep lets the process exit (a metrics flush timer must not hold an app open)", () => {
    const { stdout, ms } = runNode(
      `import { backgroundClock } from ${JSON.stringify(dist)}; backgroundClock.sleep(15000).then(() => console.log('woke'))`,
    )
    expect(stdout).toBe('')
    expect(ms).toBeLessThan(10_000)
  })

  it('an aborted sleep rejects with the abort reason at once', async () => {
    const { systemClock } = await import('./clock.js')
    const controller = new AbortController()
    const sleeping = systemClock.sleep(60_000, controller.signal)
    controller.abort(new Error('stop now'))
    await expect(sleeping).rejects.toThrow('stop now')
  })
})

describe('ManualClock', () => {
  it('wakes sleepers in due order when advanced, and only those due', async () => {
    const clock = new ManualClock()
    const woke: string[] = []
    void clock.sleep(300).then(() => woke.push('b'))
    void clock.sleep(100).then(() => woke.push('a'))
    void clock.sleep(1_000).then(() => woke.push('c'))
    await clock.advance(500)
    expect(woke).toEqual(['a', 'b'])
    expect(clock.now()).toBe(500)
    expect(clock.pending).toBe(1)
  })

  it('skews the wall clock without moving monotonic time', () => {
    const clock = new ManualClock(0, 1_000_000)
    clock.skewWall(3_600_000)
    expect(clock.now()).toBe(0)
    expect(clock.wallNow()).toBe(4_600_000)
  })
})
