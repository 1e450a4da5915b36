// Runs the built `kine` bin as a child process, as a user would, and collects what it printed.
// Asynchronous on purpose: the emulators that run in this process (dynalite, the CloudWatch
// receiver, kinesalite) must keep answering while the command waits on them.

import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

/** The bin a user runs (`kine`), built from dist. */
export const KINE_BIN = fileURLToPath(new URL('../bin/run.js', import.meta.url))

/** What one run printed and how it ended. */
export interface KineRun {
  readonly code: number | null
  readonly signal: NodeJS.Signals | null
  readonly stdout: string
  readonly stderr: string
}

/** Options of {@link runKine}. */
export interface RunKineOptions {
  /** Variables set (a string) or removed (undefined) on top of the base environment. */
  readonly env?: Record<string, string | undefined>
  /** Kill the run after this long (the test then fails on its output). @defaultValue 45000 */
  readonly timeoutMs?: number
  /** Called once the child is spawned, e.g. to send it a signal later. */
  readonly onSpawn?: (
    child: ChildProcess,
    output: { stdout: () => string; stderr: () => string },
  ) => void
  readonly cwd?: string
}

// Empty shared config and credentials files: the developer's own ~/.aws never leaks into a test.
const awsDir = mkdtempSync(join(tmpdir(), 'kine-cli-aws-'))
/** An empty file for AWS_CONFIG_FILE / AWS_SHARED_CREDENTIALS_FILE. */
export const EMPTY_AWS_FILE = join(awsDir, 'empty')
writeFileSync(EMPTY_AWS_FILE, '')
process.on('exit', () => rmSync(awsDir, { recursive: true, force: true }))

/** The environment of every run: dummy credentials, no instance metadata, us-east-1. */
export function baseEnv(): Record<string, string> {
  const env: Record<string, string> = {}
  for (const [key, value] of Object.entries(process.env)) {
    // No AWS setting of the machine running the tests reaches the command.
    if (value !== undefined && !key.startsWith('AWS_')) env[key] = value
  }
  return {
    ...env,
    AWS_EC2_METADATA_DISABLED: 'true',
    AWS_ACCESS_KEY_ID: 'kine-test',
    AWS_SECRET_ACCESS_KEY: 'kine-test',
    AWS_REGION: 'us-east-1',
    AWS_CONFIG_FILE: EMPTY_AWS_FILE,
    AWS_SHARED_CREDENTIALS_FILE: EMPTY_AWS_FILE,
    // Plain output: no colours, no terminal width from the parent.
    NO_COLOR: '1',
    FORCE_COLOR: '0',
    COLUMNS: '200',
  }
}

const running = new Set<ChildProcess>()

/** Kills every run still going (for afterAll: a failed test must not leave a process behind). */
export function killRunning(): void {
  for (const child of running) child.kill('SIGKILL')
  running.clear()
}

/** Runs `kine <args>` and resolves when it exits (never rejects; a hung run is killed). */
export function runKine(args: readonly string[], options: RunKineOptions = {}): Promise<KineRun> {
  const env = { ...baseEnv() } as Record<string, string | undefined>
  for (const [key, value] of Object.entries(options.env ?? {})) {
    if (value === undefined) delete env[key]
    else env[key] = value
  }
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [KINE_BIN, ...args], {
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
      ...(options.cwd === undefined ? {} : { cwd: options.cwd }),
    })
    running.add(child)
    let stdout = ''
    let stderr = ''
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk))
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk))
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 45_000)
    child.on('error', (error) => {
      clearTimeout(timer)
      reject(error)
    })
    child.on('close', (code, signal) => {
      clearTimeout(timer)
      running.delete(child)
      resolve({ code, signal, stdout, stderr })
    })
    options.onSpawn?.(child, { stdout: () => stdout, stderr: () => stderr })
  })
}

/** The lines of a command's stdout (without the empty string after the last newline). */
export function lines(text: string): string[] {
  return text.split('\n').filter((line, i, all) => !(line === '' && i === all.length - 1))
}
