// Where kine's published packages live in the monorepo, found from their package.json files so a
// package added later is packed and linted without touching this tool.
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

/** The monorepo's root folder. */
export const workspaceRoot: string = fileURLToPath(new URL('../../..', import.meta.url))

/** A package of the workspace that is published to npm. */
export interface PublishedPackage {
  /** e.g. `@kine/core` */
  readonly name: string
  readonly version: string
  /** Its folder, e.g. `<root>/packages/core`. */
  readonly dir: string
}

/** Every non-private package under `packages/`, sorted by name. */
export function publishedPackages(): PublishedPackage[] {
  const parent = join(workspaceRoot, 'packages')
  const found: PublishedPackage[] = []
  for (const entry of readdirSync(parent, { withFileTypes: true })) {
    const manifestPath = join(parent, entry.name, 'package.json')
    if (!entry.isDirectory() || !existsSync(manifestPath)) continue
    const manifest = JSON.parse(readFileSync(manifestPath, 'utf8')) as {
      name?: string
      version?: string
      private?: boolean
    }
    if (manifest.private === true || manifest.name === undefined) continue
    found.push({
      name: manifest.name,
      version: manifest.version ?? '0.0.0',
      dir: join(parent, entry.name),
    })
  }
  return found.sort((a, b) => a.name.localeCompare(b.name))
}
