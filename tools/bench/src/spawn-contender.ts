// The parent side of a contender: runs `node dist/<file>.js <endpoint> <stream> <shards-json>` and
// returns the JSON line it prints last.
import { spawn } from 'node:child_process'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const distDir = dirname(fileURLToPath(import.meta.url))

/** Options of {@link runContender}. */
export interface RunContenderOptions {
  /** Extra node flags (e.g. --cpu-prof). @defaultValue none */
  readonly nodeArgs?: readonly string[]
  /** Extra environment variables. @defaultValue none */
  readonly env?: Readonly<Record<string, string>>
  /** Killed (SIGKILL) after this long. @defaultValue 180000 */
  readonly timeoutMs?: number
}

/** Runs one contender to completion and parses its result line. Rejects with its stderr on failure. */
export function runContender<T>(
  file: string,
  argv: readonly string[],
  options: RunContenderOptions = {},
): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const child = spawn(
      process.execPath,
      [...(options.nodeArgs ?? []), join(distDir, file), ...argv],
      {
        stdio: ['ignore', 'pipe', 'pipe'],
        env: { ...process.env, AWS_EC2_METADATA_DISABLED: 'true', ...options.env },
      },
    )
    let stdout = ''
    let stderr = ''
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk))
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk))
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 180_000)
    child.on('error', (error) => {
      clearTimeout(timer)
      reject(error)
    })
    child.on('close', (code, signal) => {
      clearTimeout(timer)
      const line = stdout.trim().split('\n').at(-1) ?? ''
      if (code !== 0 || line === '') {
        reject(new Error(`${file} exited with ${signal ?? code}:\n${stderr.slice(-4000)}`))
        return
      }
      try {
        resolve(JSON.parse(line) as T)
      } catch {
        reject(
          new Error(
            `${file} printed no result line:\n${stdout.slice(-2000)}\n${stderr.slice(-2000)}`,
          ),
        )
      }
    })
  })
}
