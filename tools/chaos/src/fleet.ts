// The processes of a scenario: Sync and the workers, each forked with the chaos environment, its
// stderr/stdout in a log file of its own, its messages handed to the orchestrator. Knows which
// exits were the scenario's doing (SIGKILL, the final stop) and which were not: a worker that
// exits by itself is a verdict line.
import { fork, type ChildProcess } from 'node:child_process'
import { closeSync, openSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { childEnvVars, type ChildEnv } from './child-env.js'
import type { WorkerMessage } from './messages.js'

export type Role = 'worker' | 'sync'

/** A process that exited without the scenario asking it to. */
export interface UnexpectedExit {
  readonly name: string
  readonly code: number | null
  readonly signal: NodeJS.Signals | null
  readonly atMs: number
}

export interface FleetOptions {
  readonly logDir: string
  readonly env: Omit<ChildEnv, 'workerId'>
  readonly onMessage: (message: WorkerMessage) => void
  /** ms into the scenario, for the exit record. */
  readonly now: () => number
}

const SCRIPTS: Record<Role, string> = {
  worker: fileURLToPath(new URL('./worker-process.js', import.meta.url)),
  sync: fileURLToPath(new URL('./sync-process.js', import.meta.url)),
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms))

export class Fleet {
  readonly #o: FleetOptions
  readonly #children = new Map<string, { child: ChildProcess; role: Role; exited: Promise<void> }>()
  readonly #expected = new Set<string>()
  readonly #unexpected: UnexpectedExit[] = []
  #stopping = false

  constructor(options: FleetOptions) {
    this.#o = options
  }

  /** Starts `name`; resolves once it reports ready (rejects if it exits first). */
  start(name: string, role: Role): Promise<void> {
    const log = openSync(join(this.#o.logDir, `${name}.log`), 'a')
    const child = fork(SCRIPTS[role], [], {
      env: { ...process.env, ...childEnvVars({ ...this.#o.env, workerId: name }) },
      stdio: ['ignore', log, log, 'ipc'],
    })
    closeSync(log)
    const exited = new Promise<void>((resolve) =>
      child.once('exit', (code, signal) => {
        if (!this.#stopping && !this.#expected.has(name))
          this.#unexpected.push({ name, code, signal, atMs: this.#o.now() })
        resolve()
      }),
    )
    this.#children.set(name, { child, role, exited })
    return new Promise((resolve, reject) => {
      child.once('exit', (code, signal) =>
        reject(new Error(`${name} exited (${code ?? signal}) before it was ready`)),
      )
      child.on('message', (raw) => {
        const m = raw as WorkerMessage
        if (m.type === 'ready') resolve()
        else this.#o.onMessage(m)
      })
    })
  }

  /** SIGKILLs `name`: a crash the scenario asked for. */
  kill(name: string): void {
    this.#expected.add(name)
    this.#children.get(name)?.child.kill('SIGKILL')
  }

  get unexpectedExits(): readonly UnexpectedExit[] {
    return this.#unexpected
  }

  /** Stops the workers gracefully, then Sync; SIGKILLs whatever is left after `graceMs`. */
  async stop(graceMs: number): Promise<void> {
    this.#stopping = true
    const alive = (c: ChildProcess): boolean => c.exitCode === null && c.signalCode === null
    const byRole = (role: Role) => [...this.#children.values()].filter((c) => c.role === role)
    for (const role of ['worker', 'sync'] as const) {
      const group = byRole(role)
      for (const { child } of group) if (alive(child)) child.kill('SIGTERM')
      await Promise.race([Promise.all(group.map((c) => c.exited)), sleep(graceMs)])
    }
    for (const { child } of this.#children.values()) if (alive(child)) child.kill('SIGKILL')
    await Promise.all([...this.#children.values()].map((c) => c.exited))
  }
}
