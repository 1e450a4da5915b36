// Reads a V8 .cpuprofile (node --cpu-prof) and says where the time went: self time grouped by
// who owns the code (kine core, the SDK, Node, GC, ...) and the functions with the most self time.
import { readFile } from 'node:fs/promises'

interface ProfileNode {
  readonly id: number
  readonly callFrame: {
    readonly functionName: string
    readonly url: string
    readonly lineNumber: number
  }
}

interface CpuProfile {
  readonly nodes: readonly ProfileNode[]
  readonly samples: readonly number[]
  readonly timeDeltas: readonly number[]
}

/** Self time of one owner or function. */
export interface ProfileEntry {
  readonly name: string
  readonly ms: number
  /** Share of all sampled time except idle. */
  readonly share: number
}

/** Where a contender's time went. */
export interface ProfileSummary {
  readonly file: string
  /** Sampled time except idle, in milliseconds. */
  readonly busyMs: number
  readonly byOwner: readonly ProfileEntry[]
  readonly topFunctions: readonly ProfileEntry[]
  /** The functions of @kine/core with the most self time (empty for the bare loop). */
  readonly topCoreFunctions: readonly ProfileEntry[]
}

/** Who owns a frame's code, from its URL (pnpm paths look like node_modules/.pnpm/@smithy+core@x/...). */
function owner(frame: ProfileNode['callFrame']): string {
  const { url, functionName } = frame
  if (url === '') {
    if (functionName === '(garbage collector)') return 'GC'
    if (functionName === '(idle)') return 'idle'
    if (functionName === '(program)') return 'V8 / native (program)'
    return 'native'
  }
  if (/packages\/core\/|@kine\/core|@kine\+core/.test(url)) return '@kine/core'
  if (/@smithy[/+]/.test(url)) return '@smithy (SDK runtime)'
  if (/@aws-sdk[/+]/.test(url)) return '@aws-sdk'
  if (/protobufjs/.test(url)) return 'protobufjs'
  if (url.startsWith('node:')) return 'node internals'
  if (/tools\/bench\//.test(url)) return 'bench'
  const pkg = /node_modules\/(?:\.pnpm\/)?((?:@[^/+]+[/+])?[^/@]+)/.exec(url)
  return pkg?.[1] ?? 'other'
}

function shortUrl(url: string): string {
  const parts = url.split('/')
  return parts.slice(-2).join('/')
}

function top(map: Map<string, number>, busyMs: number, n: number): ProfileEntry[] {
  return [...map.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, n)
    .map(([name, ms]) => ({ name, ms, share: busyMs > 0 ? ms / busyMs : 0 }))
}

/** Summarises the profile in `file`: self time by owner, and the `topN` functions by self time. */
export async function summariseProfile(file: string, topN = 12): Promise<ProfileSummary> {
  const profile = JSON.parse(await readFile(file, 'utf8')) as CpuProfile
  const nodes = new Map(profile.nodes.map((n) => [n.id, n]))
  const byOwner = new Map<string, number>()
  const byFunction = new Map<string, number>()
  const byCoreFunction = new Map<string, number>()
  let busyMs = 0
  // timeDeltas[i] is the time before sample i; the next delta is the time spent in it.
  for (let i = 0; i < profile.samples.length; i++) {
    const node = nodes.get(profile.samples[i] as number)
    if (node === undefined) continue
    const ms = (profile.timeDeltas[i + 1] ?? 0) / 1000
    const who = owner(node.callFrame)
    if (who === 'idle') continue
    busyMs += ms
    byOwner.set(who, (byOwner.get(who) ?? 0) + ms)
    const { functionName, url, lineNumber } = node.callFrame
    const name = `${functionName || '(anonymous)'} ${url === '' ? '' : `${shortUrl(url)}:${lineNumber + 1}`} [${who}]`
    byFunction.set(name, (byFunction.get(name) ?? 0) + ms)
    if (who === '@kine/core') byCoreFunction.set(name, (byCoreFunction.get(name) ?? 0) + ms)
  }
  return {
    file,
    busyMs,
    byOwner: top(byOwner, busyMs, 20),
    topFunctions: top(byFunction, busyMs, topN),
    topCoreFunctions: top(byCoreFunction, busyMs, 8),
  }
}
