// npm as an app uses it: `npm init`, `npm install` from the registry (with kine's own packages as
// local tarballs), `npx --package`. npm keeps its default cache; what npx installs for the test's
// tarballs is removed afterwards, since each run's tarball paths make a new npx install.
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import { describeRun, runCommand, type CommandResult } from './run-command.js'

/** Options of the npm helpers. */
export interface NpmOptions {
  readonly cwd: string
  readonly env: Record<string, string>
  /** @defaultValue 240_000 */
  readonly timeoutMs?: number
}

// How npm reports a registry it cannot reach (DNS, refused or reset connections, timeouts).
const unreachable =
  /E(NOTFOUND|AI_AGAIN|CONNREFUSED|CONNRESET|TIMEDOUT|HOSTUNREACH|NETUNREACH|PROXY)|network|socket hang up|request to \S+ failed/i

function unreachableError(registry: string, result: CommandResult): Error {
  return new Error(
    `npm cannot reach the npm registry (${registry}): this test installs the AWS SDK from it, ` +
      `as an app would. Check the network or npm's proxy settings.\n\n${describeRun(result)}`,
  )
}

/** A plain account of a failed npm run, naming the registry first when npm could not reach it. */
function failure(result: CommandResult, registry: string): Error {
  const output = `${result.stdout}\n${result.stderr}`
  if (result.timedOut || unreachable.test(output)) return unreachableError(registry, result)
  return new Error(describeRun(result))
}

/**
 * `npm ping` with no retries: fails in seconds, with a message that says so, when the registry
 * cannot be reached. Without it npm retries every package for minutes and may then report a
 * confusing ERESOLVE about versions it never got to see.
 */
export async function pingRegistry(
  options: NpmOptions & { readonly registry: string },
): Promise<void> {
  const result = await runCommand(
    'npm',
    ['ping', '--fetch-retries=0', '--fetch-timeout=20000', '--loglevel=error'],
    { cwd: options.cwd, env: options.env, timeoutMs: 60_000 },
  )
  if (result.code !== 0) throw unreachableError(options.registry, result)
}

/** The registry npm uses here (for messages). */
export async function npmRegistry(options: NpmOptions): Promise<string> {
  const result = await runCommand('npm', ['config', 'get', 'registry'], {
    ...options,
    timeoutMs: 30_000,
  })
  return result.stdout.trim() || 'the npm registry'
}

/** npm's cache folder (its `cache` setting). */
export async function npmCacheDir(options: NpmOptions): Promise<string> {
  const result = await runCommand('npm', ['config', 'get', 'cache'], {
    ...options,
    timeoutMs: 30_000,
  })
  if (result.code !== 0) throw new Error(describeRun(result))
  return result.stdout.trim()
}

/** Runs npm with `args`; rejects with a readable message (registry problems named) on failure. */
export async function npm(
  args: readonly string[],
  options: NpmOptions & { readonly registry: string },
): Promise<CommandResult> {
  const result = await runCommand('npm', args, {
    cwd: options.cwd,
    env: options.env,
    timeoutMs: options.timeoutMs ?? 240_000,
  })
  if (result.code !== 0) throw failure(result, options.registry)
  return result
}

/**
 * `npm init -y`, then `"type": "module"`, then `npm install specs`:
 * registry packages by `name@version`, kine's by tarball path.
 */
export async function createApp(
  specs: readonly string[],
  options: NpmOptions & { readonly registry: string },
): Promise<void> {
  await npm(['init', '-y'], options)
  await npm(['pkg', 'set', 'type=module'], options)
  await npm(['install', '--no-audit', '--no-fund', '--loglevel=error', ...specs], options)
}

/**
 * `npx --yes --package <spec>... <command> args`: what a user runs to try a CLI without installing
 * it. Resolves with the command's result, failed or not, unless npx itself could not install.
 */
export async function npx(
  packages: readonly string[],
  commandLine: readonly string[],
  options: NpmOptions & { readonly registry: string },
): Promise<CommandResult> {
  const args = ['--yes', ...packages.flatMap((p) => ['--package', p]), ...commandLine]
  const result = await runCommand('npx', args, {
    cwd: options.cwd,
    env: options.env,
    timeoutMs: options.timeoutMs ?? 240_000,
  })
  if (result.code !== 0 && /npm (error|ERR!)/.test(result.stderr))
    throw failure(result, options.registry)
  return result
}

/**
 * Removes the installs npx made under `<cache>/_npx` for packages whose path starts with
 * `packagePrefix` (the test's tarball folder), and nothing else.
 */
export function removeNpxInstalls(cacheDir: string, packagePrefix: string): string[] {
  const npxDir = join(cacheDir, '_npx')
  if (!existsSync(npxDir)) return []
  const removed: string[] = []
  for (const entry of readdirSync(npxDir)) {
    const manifestPath = join(npxDir, entry, 'package.json')
    if (!existsSync(manifestPath)) continue
    let packages: unknown
    try {
      packages = (
        JSON.parse(readFileSync(manifestPath, 'utf8')) as { _npx?: { packages?: unknown } }
      )._npx?.packages
    } catch {
      continue // not an npx install this tool made
    }
    if (
      Array.isArray(packages) &&
      packages.some((p) => typeof p === 'string' && p.startsWith(packagePrefix))
    ) {
      rmSync(join(npxDir, entry), { recursive: true, force: true })
      removed.push(entry)
    }
  }
  return removed
}
