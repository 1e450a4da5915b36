import { spawn, type ChildProcess } from 'node:child_process'
import type { Socket } from 'node:net'
import { setTimeout as sleep } from 'node:timers/promises'
import { LocalServiceError } from './local-service.js'
import { listensOn } from './port-owner.js'
import { pickFreePorts } from './ports.js'

/** How to run one emulator as a child process. */
export interface ChildSpec {
  /** Shown in errors, e.g. `kinesis-local`. */
  readonly name: string
  readonly command: string
  readonly args: readonly string[]
  /** @defaultValue this process's working directory */
  readonly cwd?: string
  /** Variables added to (or, when `undefined`, removed from) this process's environment. */
  readonly env?: Readonly<Record<string, string | undefined>>
  /** One readiness check: resolves true once the emulator answers. */
  readonly probe: () => Promise<boolean>
  /** Ports the child itself must be listening on before it counts as ready (see {@link listensOn}). @defaultValue none */
  readonly ports?: readonly number[]
  /** @defaultValue 30000 */
  readonly startTimeoutMs?: number
  /** How long stop() waits after SIGTERM before SIGKILL. @defaultValue 1000 */
  readonly stopGraceMs?: number
}

/** A running child emulator. */
export interface ChildService {
  readonly pid: number
  /** True once the process has exited. */
  readonly exited: boolean
  /** The last few KiB of its stdout and stderr. */
  output(): string
  /** SIGTERM, then SIGKILL after the grace period; resolves once the process is gone. Idempotent. */
  stop(): Promise<void>
}

const outputTailChars = 8192
const probeIntervalMs = 50

// Children still running, killed synchronously if this process exits without stopping them.
const live = new Set<() => void>()
let exitHookInstalled = false

function installExitHook(): void {
  if (exitHookInstalled) return
  exitHookInstalled = true
  process.on('exit', () => {
    for (const kill of live) kill()
  })
}

async function ownsPorts(pid: number, ports: readonly number[]): Promise<boolean> {
  for (const port of ports) if (!(await listensOn(pid, port))) return false
  return true
}

/** Waits for `promise` at most `ms`; the timer is cleared either way so it holds nothing open. */
async function within<T>(promise: Promise<T>, ms: number): Promise<T | 'timeout'> {
  const timer = new AbortController()
  try {
    return await Promise.race([promise, sleep(ms, 'timeout' as const, { signal: timer.signal })])
  } finally {
    timer.abort()
  }
}

function childEnv(extra: Readonly<Record<string, string | undefined>>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env }
  // Test runners put their loaders in NODE_OPTIONS; an emulator must not load them.
  delete env.NODE_OPTIONS
  for (const [key, value] of Object.entries(extra)) {
    if (value === undefined) delete env[key]
    else env[key] = value
  }
  return env
}

/**
 * Guards against this process dying without running its 'exit' handlers (SIGKILL, a crashed test
 * worker): a tiny shell blocks reading a pipe only this process holds, and when the pipe closes it
 * kills the emulator.
 */
function spawnWatchdog(pid: number): ChildProcess {
  const watchdog = spawn(
    'sh',
    ['-c', 'read _ ; kill -9 "$1" 2>/dev/null', 'kine-local-watchdog', String(pid)],
    {
      stdio: ['pipe', 'ignore', 'ignore'],
      detached: true,
    },
  )
  watchdog.on('error', () => {
    // No `sh`: the 'exit' handler still covers an orderly exit.
  })
  watchdog.stdin?.on('error', () => {})
  watchdog.unref()
  ;(watchdog.stdin as unknown as Socket | null)?.unref()
  return watchdog
}

/**
 * Starts a child process and resolves once `spec.probe` says it is ready. Rejects with a
 * {@link LocalServiceError} carrying the child's output tail if it exits or does not answer in time
 * (code `ADDRESS_IN_USE` when its output says a port was taken).
 */
export async function startChild(spec: ChildSpec): Promise<ChildService> {
  const startTimeoutMs = spec.startTimeoutMs ?? 30_000
  const stopGraceMs = spec.stopGraceMs ?? 1000

  // detached: its own process group, so a Ctrl-C in the terminal reaches only the owner, which
  // then stops it in order.
  const child = spawn(spec.command, [...spec.args], {
    cwd: spec.cwd,
    env: childEnv(spec.env ?? {}),
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  })

  let tail = ''
  const onData = (chunk: string): void => {
    tail = (tail + chunk).slice(-outputTailChars)
  }
  child.stdout?.setEncoding('utf8').on('data', onData)
  child.stderr?.setEncoding('utf8').on('data', onData)

  let exited = false
  let exitDescription = ''
  const exitPromise = new Promise<void>((resolve) => {
    child.once('exit', (code, signal) => {
      exited = true
      exitDescription = signal === null ? `exit code ${code}` : `signal ${signal}`
      resolve()
    })
  })
  // Resolves after stdout/stderr have drained too, so an error can show the last lines.
  const closePromise = new Promise<void>((resolve) => child.once('close', () => resolve()))
  const spawnError = new Promise<Error>((resolve) => child.once('error', resolve))

  const firstEvent = await Promise.race([
    new Promise<'spawned'>((resolve) => child.once('spawn', () => resolve('spawned'))),
    spawnError,
  ])
  if (firstEvent !== 'spawned' || child.pid === undefined) {
    throw new LocalServiceError(
      'START_FAILED',
      `${spec.name}: could not run ${spec.command}: ${String(firstEvent)}`,
      {
        cause: firstEvent,
      },
    )
  }
  const pid = child.pid
  child.on('error', () => {
    // Errors after spawn (a failed kill) change nothing: exit is what stop() waits for.
  })

  const watchdog = spawnWatchdog(pid)
  const killNow = (): void => {
    watchdog.kill('SIGKILL')
    if (!exited) child.kill('SIGKILL')
  }
  installExitHook()
  live.add(killNow)
  void exitPromise.then(() => {
    live.delete(killNow)
    watchdog.kill('SIGKILL')
  })

  let stopping: Promise<void> | undefined
  const stop = (): Promise<void> =>
    (stopping ??= (async () => {
      watchdog.kill('SIGKILL')
      if (exited) return
      // Keep this process alive until the child is gone (it was unref'd once ready).
      child.ref()
      child.kill('SIGTERM')
      if ((await within(exitPromise, stopGraceMs)) === 'timeout') {
        // kinesis-local can ignore SIGTERM once it has served HTTP/2.
        child.kill('SIGKILL')
      }
      await exitPromise
    })())

  const output = (): string => tail
  const failure = async (message: string): Promise<LocalServiceError> => {
    await within(closePromise, 500)
    const code = /EADDRINUSE|Address already in use/i.test(tail) ? 'ADDRESS_IN_USE' : 'START_FAILED'
    return new LocalServiceError(code, `${spec.name}: ${message}`, { output: tail.trim() })
  }

  const deadline = Date.now() + startTimeoutMs
  for (;;) {
    if (exited) throw await failure(`exited before it was ready (${exitDescription})`)
    if ((await spec.probe().catch(() => false)) && (await ownsPorts(pid, spec.ports ?? []))) break
    if (exited) throw await failure(`exited before it was ready (${exitDescription})`)
    if (Date.now() >= deadline) {
      await stop()
      const error = await failure(`did not answer within ${startTimeoutMs} ms`)
      throw new LocalServiceError('START_TIMEOUT', error.message.split('\n')[0] ?? '', {
        output: error.output,
      })
    }
    await within(exitPromise, probeIntervalMs)
  }

  // A forgotten stop() must not hold the owner open: the 'exit' handler and the watchdog kill it.
  child.unref()
  ;(child.stdout as unknown as Socket | null)?.unref()
  ;(child.stderr as unknown as Socket | null)?.unref()

  return {
    pid,
    get exited() {
      return exited
    },
    output,
    stop,
  }
}

/** Options of {@link startChildOnFreePorts}. */
export interface FreePortOptions {
  /** @defaultValue 5 */
  readonly attempts?: number
  /** Chooses the ports; replaceable so a test can hand out a taken one. @defaultValue pickFreePorts */
  readonly pickPorts?: (count: number) => Promise<number[]>
}

/**
 * Starts a child that needs `count` ports chosen before it runs, choosing free ones and trying
 * again with new ones when it fails with EADDRINUSE (parallel test files race for ports).
 */
export async function startChildOnFreePorts(
  count: number,
  build: (ports: number[]) => ChildSpec,
  options: FreePortOptions = {},
): Promise<{ service: ChildService; ports: number[] }> {
  const attempts = options.attempts ?? 5
  const pickPorts = options.pickPorts ?? pickFreePorts
  let last: unknown
  for (let attempt = 1; attempt <= attempts; attempt++) {
    const ports = await pickPorts(count)
    try {
      return { service: await startChild({ ports, ...build(ports) }), ports }
    } catch (error) {
      if (!(error instanceof LocalServiceError) || error.code !== 'ADDRESS_IN_USE') throw error
      last = error
    }
  }
  throw new LocalServiceError('ADDRESS_IN_USE', `no free port after ${attempts} attempts`, {
    cause: last,
  })
}
