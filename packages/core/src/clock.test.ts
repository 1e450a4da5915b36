import { spawnSync } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { ManualClock } from './clock.js'

// Runs a snippet in a fresh Node process against the built package: whether a pending sleep keeps
// a process alive is only visible from outside it. backgroundClock is in the lease-table subpath.
const dist = fileURLToPath(new URL('../dist/index.js', import.meta.url))
const distLeaseTable = fileURLToPath(new URL('../dist/lease-table/index.js', import.meta.url))
function runNode(source: string): { stdout: string; stderr: string; status: number | null } {
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', source], {
    encoding: 'utf8',
    timeout: 20_000,
  })
  return { stdout: r.stdout, stderr: r.stderr, status: r.status }
}

describe('systemClock and backgroundClock', () => {
  it("systemClock's sleep keeps the process alive until it ends (a caught-up reader must not exit)", () => {
    const { stdout, stderr, status } = runNode(
      `import { systemClock } from ${JSON.stringify(dist)}; await systemClock.sleep(300); console.log('woke')`,
    )
    expect(stderr).toBe('')
    expect(status).toBe(0)
    expect(stdout.trim()).toBe('woke')
  })

  it("backgroundClock's sleep lets the process exit (a metrics flush timer must not hold an app open)", () => {
    // It exits cleanly without waking: the 15 s sleep did not hold it (spawnSync would time out at 20 s).
    const { stdout, stderr, status } = runNode(
      `import { backgroundClock } from ${JSON.stringify(distLeaseTable)}; backgroundClock.sleep(15000).then(() => console.log('woke')); console.log('started')`,
    )
    expect(stderr).toBe('')
    expect(status).toBe(0)
    expect(stdout).toBe('started\n')
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
