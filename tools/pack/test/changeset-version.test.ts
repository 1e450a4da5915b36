// `pnpm changeset version` on a copy of the workspace's manifests: it versions the packages a
// changeset names and the dependents whose ranges require it, and nothing else (never a private tool).
import { spawnSync } from 'node:child_process'
import {
  cpSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  writeFileSync,
  existsSync,
} from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { workspaceRoot } from '../src/workspace.js'

const changesetBin = join(workspaceRoot, 'node_modules', '.bin', 'changeset')
let scratch: string | undefined

/** A scratch copy with every manifest, the changeset config and one changeset of ours. */
function scratchWorkspace(changeset: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'kine-changeset-'))
  for (const file of ['package.json', 'pnpm-workspace.yaml'])
    cpSync(join(workspaceRoot, file), join(dir, file))
  mkdirSync(join(dir, '.changeset'))
  cpSync(join(workspaceRoot, '.changeset', 'config.json'), join(dir, '.changeset', 'config.json'))
  writeFileSync(join(dir, '.changeset', 'test-change.md'), changeset)
  for (const group of ['packages', 'tools']) {
    for (const name of readdirSync(join(workspaceRoot, group))) {
      const manifest = join(workspaceRoot, group, name, 'package.json')
      if (!existsSync(manifest)) continue
      mkdirSync(join(dir, group, name), { recursive: true })
      cpSync(manifest, join(dir, group, name, 'package.json'))
    }
  }
  // changesets reads the base branch from git; a repository with one commit is enough.
  const git = (...args: string[]): void =>
    void spawnSync('git', args, { cwd: dir, stdio: 'ignore' })
  git('init', '-q', '-b', 'main')
  git('-c', 'user.email=t@example.com', '-c', 'user.name=t', 'add', '.')
  git('-c', 'user.email=t@example.com', '-c', 'user.name=t', 'commit', '-qm', 'scratch')
  return dir
}

/** Runs `changeset version` and returns the versions of every workspace package before and after. */
function versionPackages(changeset: string): Map<string, { before: string; after: string }> {
  scratch = scratchWorkspace(changeset)
  const manifests = (): Map<string, { name: string; version: string }> => {
    const found = new Map<string, { name: string; version: string }>()
    for (const group of ['packages', 'tools']) {
      for (const name of readdirSync(join(scratch!, group))) {
        const m = JSON.parse(readFileSync(join(scratch!, group, name, 'package.json'), 'utf8')) as {
          name: string
          version: string
        }
        found.set(m.name, m)
      }
    }
    return found
  }
  const before = manifests()
  const r = spawnSync(changesetBin, ['version'], { cwd: scratch, encoding: 'utf8' })
  expect(r.status, `${r.stdout}\n${r.stderr}`).toBe(0)
  const after = manifests()
  return new Map(
    [...before].map(([name, m]) => [name, { before: m.version, after: after.get(name)!.version }]),
  )
}

const changed = (versions: Map<string, { before: string; after: string }>): string[] =>
  [...versions]
    .filter(([, v]) => v.before !== v.after)
    .map(([name]) => name)
    .sort()

afterEach(() => {
  if (scratch) rmSync(scratch, { recursive: true, force: true })
  scratch = undefined
})

describe('changeset version', () => {
  it('a change to one leaf package versions that package only', () => {
    const versions = versionPackages(`---\n'@kine/metrics': patch\n---\n\nA fix.\n`)
    expect(changed(versions)).toEqual(['@kine/metrics'])
  })

  it('a change to core versions core and the packages whose range on it no longer holds, never a private tool', () => {
    const versions = versionPackages(`---\n'@kine/core': minor\n---\n\nA feature.\n`)
    // core is 0.x: `workspace:^` publishes as ^0.0.0, which a minor bump leaves, so every package
    // that depends on core must be versioned with it (patch); private tools never are.
    const core = versions.get('@kine/core')!
    const [major, minor] = core.before.split('.').map(Number) as [number, number]
    expect(core.after).toBe(major === 0 ? `0.${minor + 1}.0` : `${major}.${minor + 1}.0`)
    expect(changed(versions)).toEqual([
      '@kine/cli',
      '@kine/core',
      '@kine/lease',
      '@kine/metrics',
      '@kine/sync',
    ])
    for (const dependent of ['@kine/cli', '@kine/lease', '@kine/metrics', '@kine/sync']) {
      const { before, after } = versions.get(dependent)!
      const [a, b, c] = before.split('.').map(Number) as [number, number, number]
      expect(after, dependent).toBe(`${a}.${b}.${c + 1}`)
    }
  })
})
