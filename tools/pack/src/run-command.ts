// Runs a command as a child process and collects its output. Asynchronous on purpose: the
// emulators the apps talk to run in the test's own process and must keep answering meanwhile.
import { spawn, type ChildProcess } from 'node:child_process'

/** How a command ended and what it printed. */
export interface CommandResult {
  /** The command line, for messages. */
  readonly command: string
  readonly code: number | null
  readonly signal: NodeJS.Signals | null
  readonly stdout: string
  readonly stderr: string
  /** True when it was killed for running longer than its timeout. */
  readonly timedOut: boolean
}

/** Options of {@link runCommand}. */
export interface RunCommandOptions {
  readonly cwd: string
  readonly env: Record<string, string>
  /** Kill the command (and what it started) after this long. */
  readonly timeoutMs: number
}

const running = new Set<ChildProcess>()
// Detached children do not share the test's fate: take them down if it exits without afterAll.
process.once('exit', () => killRunningCommands())

function killGroup(child: ChildProcess): void {
  if (child.pid === undefined) return
  try {
    // npm and npx start processes of their own: kill the whole group the child leads.
    process.kill(-child.pid, 'SIGKILL')
  } catch {
    // Already gone.
  }
}

/** Kills every command still running, with what it started (for afterAll, when a test failed). */
export function killRunningCommands(): void {
  for (const child of running) killGroup(child)
  running.clear()
}

/** Runs `command args` and resolves once it has exited; never rejects for a failed command. */
export function runCommand(
  command: string,
  args: readonly string[],
  options: RunCommandOptions,
): Promise<CommandResult> {
  const line = [command, ...args].join(' ')
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      cwd: options.cwd,
      env: options.env,
      stdio: ['ignore', 'pipe', 'pipe'],
      // Its own process group, so a timeout or afterAll can kill everything it started.
      detached: true,
    })
    running.add(child)
    let stdout = ''
    let stderr = ''
    let timedOut = false
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk))
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk))
    const timer = setTimeout(() => {
      timedOut = true
      killGroup(child)
    }, options.timeoutMs)
    child.on('error', (error) => {
      clearTimeout(timer)
      running.delete(child)
      reject(new Error(`cannot run ${line}: ${error.message}`, { cause: error }))
    })
    child.on('close', (code, signal) => {
      clearTimeout(timer)
      running.delete(child)
      resolve({ command: line, code, signal, stdout, stderr, timedOut })
    })
  })
}

/** A readable account of a run, for assertion messages. */
export function describeRun(result: CommandResult): string {
  const end = result.timedOut
    ? 'killed after its timeout'
    : result.signal !== null
      ? `killed by ${result.signal}`
      : `exit code ${String(result.code)}`
  return `${result.command}: ${end}\n--- stdout\n${result.stdout}\n--- stderr\n${result.stderr}`
}
