// `pnpm pack` of a published package, as its release would do it, and a look inside the tarball.
import { spawnSync } from 'node:child_process'
import type { PublishedPackage } from './workspace.js'

/** One packed package. */
export interface PackedPackage extends PublishedPackage {
  /** Absolute path of the `.tgz`. */
  readonly tarball: string
  /** The tarball's files, relative to the package root (`dist/index.js`, ...). */
  readonly files: readonly string[]
  /** The package.json inside the tarball, as an installer sees it. */
  readonly manifest: PackedManifest
}

/** The parts of a packed package.json this tool looks at. */
export interface PackedManifest {
  readonly name: string
  readonly version: string
  readonly dependencies?: Readonly<Record<string, string>>
  readonly peerDependencies?: Readonly<Record<string, string>>
  readonly optionalDependencies?: Readonly<Record<string, string>>
  readonly devDependencies?: Readonly<Record<string, string>>
  readonly bin?: string | Readonly<Record<string, string>>
}

function run(command: string, args: readonly string[], cwd: string): string {
  const result = spawnSync(command, args, {
    cwd,
    encoding: 'utf8',
    timeout: 120_000,
    maxBuffer: 64 * 1024 * 1024,
  })
  if (result.error !== undefined) throw result.error
  if (result.status !== 0) {
    throw new Error(
      `${command} ${args.join(' ')} (in ${cwd}) failed with ${String(result.status ?? result.signal)}:\n${result.stderr}`,
    )
  }
  return result.stdout
}

/**
 * Packs `pkg` into `destination` with `pnpm pack`, which writes the tarball an `npm publish` of
 * it would upload (workspace ranges replaced by real ones), and reads the tarball back.
 */
export function packPackage(pkg: PublishedPackage, destination: string): PackedPackage {
  const out = JSON.parse(
    run('pnpm', ['pack', '--pack-destination', destination, '--json'], pkg.dir),
  ) as { filename: string }
  const tarball = out.filename
  // The tarball itself is the truth, not what pnpm says it put in it.
  const files = run('tar', ['-tzf', tarball], destination)
    .split('\n')
    .filter((line) => line !== '' && !line.endsWith('/'))
    .map((line) => line.replace(/^package\//, ''))
  const manifest = JSON.parse(
    run('tar', ['-xzOf', tarball, 'package/package.json'], destination),
  ) as PackedManifest
  return { ...pkg, tarball, files, manifest }
}

/** Every dependency range of `manifest` that still uses the `workspace:` protocol. */
export function workspaceRanges(manifest: PackedManifest): string[] {
  const fields = [
    'dependencies',
    'peerDependencies',
    'optionalDependencies',
    'devDependencies',
  ] as const
  return fields.flatMap((field) =>
    Object.entries(manifest[field] ?? {})
      .filter(([, range]) => range.startsWith('workspace:'))
      .map(([name, range]) => `${field}.${name}: ${range}`),
  )
}

/**
 * Built files in the tarball that no source file produces any more: tsc never deletes what a
 * removed source left in `dist/`, and `files: ["dist"]` would publish it.
 */
export function staleBuildOutput(
  packed: PackedPackage,
  sourceExists: (relative: string) => boolean,
): string[] {
  return packed.files.filter((file) => {
    const match = /^dist\/(.+?)(\.d\.ts\.map|\.d\.ts|\.js\.map|\.js)$/.exec(file)
    if (match === null) return false
    return !sourceExists(`src/${match[1] ?? ''}.ts`)
  })
}
