// kine's published packages as an app gets them: `pnpm pack` of each, linted with publint and
// attw, then installed with npm in scratch folders outside the workspace (the core tarball beside
// the others, as it is not on the registry yet) and run against the local emulators:
// @kine/lease + @kine/sync in a small app, @kine/metrics alone, and the CLI through `npx`.
// Serial: npm installs, kinesis-local and the apps' processes would crowd the parallel files.
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, relative } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { KinesisClient } from '@aws-sdk/client-kinesis'
import {
  createStream,
  kinesisClient,
  putRecords,
  startCloudWatch,
  startDynamo,
  startKinesis,
  type CloudWatchReceiver,
  type LocalDynamo,
  type LocalKinesis,
  type PutResult,
  type ReceivedDatum,
} from '@kine-tools/local'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { childEnv } from '../src/child-env.js'
import {
  createApp,
  npmCacheDir,
  npmRegistry,
  npx,
  pingRegistry,
  removeNpxInstalls,
  type NpmOptions,
} from '../src/npm.js'
import { packPackage, staleBuildOutput, workspaceRanges, type PackedPackage } from '../src/pack.js'
import {
  describeRun,
  killRunningCommands,
  runCommand,
  type CommandResult,
} from '../src/run-command.js'
import { publishedPackages, workspaceRoot } from '../src/workspace.js'

const fixture = (name: string): string =>
  fileURLToPath(new URL(`../fixtures/${name}`, import.meta.url))
/** A command installed in this package's node_modules/.bin, or else in the workspace root's. */
function localBin(name: string): string {
  const own = fileURLToPath(new URL(`../node_modules/.bin/${name}`, import.meta.url))
  return existsSync(own) ? own : join(workspaceRoot, 'node_modules', '.bin', name)
}

// Versions an app pins: those the workspace builds and tests kine with.
const KINESIS_CLIENT = '@aws-sdk/client-kinesis@3.1143.0'
const DYNAMODB_CLIENT = '@aws-sdk/client-dynamodb@3.1164.0'
const CLOUDWATCH_CLIENT = '@aws-sdk/client-cloudwatch@3.1164.0'
const HTTP_HANDLER = '@smithy/node-http-handler@4.14.2'
const NODE_TYPES = '@types/node@20.19.43'

const EXPECTED_PACKAGES = ['@kine/cli', '@kine/core', '@kine/lease', '@kine/metrics', '@kine/sync']
const published = publishedPackages()

const STREAM = 'orders'
const TABLE = 'pack-app-leases'
const RECORD_COUNT = 16

const INSTALL_TIMEOUT_MS = 300_000

let work = ''
let tarballDir = ''
let env: Record<string, string> = {}
let npmOptions: NpmOptions & { registry: string }
let npmCache: string | undefined
const packed = new Map<string, PackedPackage>()
let kinesis: LocalKinesis | undefined
let dynamo: LocalDynamo | undefined
let cloudwatch: CloudWatchReceiver | undefined
let client: KinesisClient | undefined
/** The records put into `orders`, in put order, with where each went. */
const orders: { data: string; partitionKey: string; put: PutResult }[] = []

function tarball(name: string): string {
  const pkg = packed.get(name)
  if (pkg === undefined) throw new Error(`${name} was not packed`)
  return pkg.tarball
}

function scratch(name: string): string {
  const dir = join(work, name)
  mkdirSync(dir, { recursive: true })
  return dir
}

/** `fn` run once, on the first call; later calls share its promise. */
function once<T>(fn: () => Promise<T>): () => Promise<T> {
  let result: Promise<T> | undefined
  return () => (result ??= fn())
}

// Only the install tests need the registry: checked once, before the first of them.
const registryReachable = once(() => pingRegistry(npmOptions))

/** Installs an app once, however many tests use it. */
function lazyApp(dirName: string, specs: () => string[]): () => Promise<string> {
  return once(async () => {
    await registryReachable()
    const dir = scratch(dirName)
    await createApp(specs(), { ...npmOptions, cwd: dir, timeoutMs: INSTALL_TIMEOUT_MS })
    return dir
  })
}

const leaseApp = lazyApp('lease-app', () => [
  tarball('@kine/core'),
  tarball('@kine/lease'),
  tarball('@kine/sync'),
  KINESIS_CLIENT,
  DYNAMODB_CLIENT,
  HTTP_HANDLER,
  NODE_TYPES,
])
const metricsApp = lazyApp('metrics-app', () => [
  tarball('@kine/core'),
  tarball('@kine/metrics'),
  CLOUDWATCH_CLIENT,
  NODE_TYPES,
])

/** `tsc` on an app's `.mjs` (checkJs, strict, the library .d.ts files checked too). */
function typeCheck(dir: string, file: string): Promise<CommandResult> {
  return runCommand(
    localBin('tsc'),
    [
      '--noEmit',
      '--allowJs',
      '--checkJs',
      '--strict',
      '--exactOptionalPropertyTypes',
      '--skipLibCheck',
      'false',
      '--module',
      'nodenext',
      '--moduleResolution',
      'nodenext',
      '--target',
      'es2023',
      '--lib',
      'es2023',
      '--types',
      'node',
      file,
    ],
    { cwd: dir, env, timeoutMs: 180_000 },
  )
}

function jsonLines(text: string): Record<string, unknown>[] {
  return text
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as Record<string, unknown>)
}

beforeAll(async () => {
  for (const pkg of published) {
    if (!existsSync(join(pkg.dir, 'dist', 'index.js')))
      throw new Error(`${pkg.name} is not built: run \`pnpm exec turbo run build\` first`)
  }
  work = mkdtempSync(join(tmpdir(), 'kine-pack-'))
  // An app lives outside the workspace: nothing may resolve from the monorepo's node_modules.
  if (!relative(workspaceRoot, work).startsWith('..'))
    throw new Error(`the scratch folder ${work} is inside the workspace ${workspaceRoot}`)
  tarballDir = scratch('tarballs')
  const emptyAwsFile = join(work, 'empty-aws-file')
  writeFileSync(emptyAwsFile, '')
  env = childEnv(emptyAwsFile)
  const base = { cwd: work, env }
  npmOptions = { ...base, registry: await npmRegistry(base) }
  npmCache = await npmCacheDir(base)

  for (const pkg of published) packed.set(pkg.name, packPackage(pkg, tarballDir))

  kinesis = await startKinesis()
  dynamo = await startDynamo()
  cloudwatch = await startCloudWatch()
  client = kinesisClient(kinesis.endpoint)
  await createStream(client, STREAM, 2)
  const records = Array.from({ length: RECORD_COUNT }, (_, i) => ({
    data: `order-${i}`,
    partitionKey: `customer-${i}`,
  }))
  const put = await putRecords(client, STREAM, records)
  records.forEach((r, i) => orders.push({ ...r, put: put[i] as PutResult }))
  // Both shards must hold records for the per-shard checks to mean anything.
  expect(new Set(put.map((p) => p.shardId)).size).toBe(2)
}, 180_000)

afterAll(async () => {
  killRunningCommands()
  client?.destroy()
  await Promise.allSettled([kinesis?.stop(), dynamo?.stop(), cloudwatch?.stop()])
  if (npmCache !== undefined && tarballDir !== '') removeNpxInstalls(npmCache, tarballDir)
  if (work !== '') rmSync(work, { recursive: true, force: true })
}, 60_000)

/** The put records of one shard, in shard order. */
const ofShard = (shardId: string) => orders.filter((o) => o.put.shardId === shardId)
const shardIds = () => [...new Set(orders.map((o) => o.put.shardId))].sort()

describe('pnpm pack', () => {
  it('packs every published package', () => {
    expect(published.map((p) => p.name)).toEqual(expect.arrayContaining(EXPECTED_PACKAGES))
    expect([...packed.keys()].sort()).toEqual(published.map((p) => p.name))
  })

  it('leaves no workspace: range in a packed package.json, and points at the core being packed', () => {
    const core = packed.get('@kine/core')
    for (const pkg of packed.values()) {
      expect(workspaceRanges(pkg.manifest), pkg.name).toEqual([])
      const range = pkg.manifest.dependencies?.['@kine/core']
      if (pkg.name !== '@kine/core') expect(range, pkg.name).toBe(`^${core?.version ?? ''}`)
    }
  })

  it('ships the build of the current sources only: no stale dist file, no test, a README', () => {
    for (const pkg of packed.values()) {
      const stale = staleBuildOutput(pkg, (file) => existsSync(join(pkg.dir, file)))
      expect(stale, `${pkg.name}: dist files without a source (remove dist and rebuild)`).toEqual(
        [],
      )
      expect(
        pkg.files.filter((f) => /\.test\./.test(f)),
        pkg.name,
      ).toEqual([])
      expect(pkg.files, pkg.name).toEqual(
        expect.arrayContaining(['package.json', 'README.md', 'dist/index.js', 'dist/index.d.ts']),
      )
    }
  })
})

describe.each(published.map((p) => p.name))('%s as published', (name) => {
  it('passes publint (warnings count as errors)', async () => {
    const run = await runCommand(localBin('publint'), ['run', tarball(name), '--strict'], {
      cwd: work,
      env,
      timeoutMs: 60_000,
    })
    expect(run.code, describeRun(run)).toBe(0)
    expect(run.stdout, describeRun(run)).toContain('All good!')
  })

  it('passes attw for an ESM-only package', async () => {
    const run = await runCommand(
      localBin('attw'),
      [
        tarball(name),
        '--profile',
        'esm-only',
        // kine ships its own types: nothing to look up on DefinitelyTyped.
        '--no-definitely-typed',
        '--format',
        'json',
      ],
      { cwd: work, env, timeoutMs: 60_000 },
    )
    expect(run.code, describeRun(run)).toBe(0)
    // Read as JSON, not the table: attw turns its table around once a package has several entry
    // points. Every entry point must resolve to its types from ESM (node16) and for bundlers.
    const analysis = (JSON.parse(run.stdout) as { analysis: AttwAnalysis }).analysis
    const checked = ['node16-esm', 'bundler']
    const entrypoints = Object.entries(analysis.entrypoints).filter(([e]) => !e.endsWith('.json'))
    expect(entrypoints.length).toBeGreaterThan(0)
    for (const [entrypoint, { resolutions }] of entrypoints) {
      for (const kind of checked) {
        expect(resolutions[kind]?.resolution?.fileName, `${entrypoint} (${kind})`).toMatch(
          /\.d\.ts$/,
        )
      }
    }
    expect(analysis.problems.filter((p) => checked.includes(p.resolutionKind ?? ''))).toEqual([])
  })
})

/** The part of attw's `--format json` output the test reads. */
interface AttwAnalysis {
  readonly entrypoints: Record<
    string,
    {
      readonly resolutions: Record<
        string,
        { readonly resolution?: { readonly fileName: string } } | undefined
      >
    }
  >
  readonly problems: readonly { readonly kind: string; readonly resolutionKind?: string }[]
}

describe('@kine/lease + @kine/sync installed with npm', () => {
  it(
    'runs an app that processes every record put, in shard order, checkpoints and exits by itself',
    async () => {
      const dir = await leaseApp()
      copyFileSync(fixture('lease-app.mjs'), join(dir, 'app.mjs'))
      const run = await runCommand(process.execPath, ['app.mjs'], {
        cwd: dir,
        env: {
          ...env,
          KINESIS_ENDPOINT: kinesis?.endpoint ?? '',
          DYNAMODB_ENDPOINT: dynamo?.endpoint ?? '',
          STREAM_NAME: STREAM,
          TABLE_NAME: TABLE,
          EXPECTED_RECORDS: String(RECORD_COUNT),
        },
        // The app gives up by itself after 60 s; past this it hangs on something left open.
        timeoutMs: 120_000,
      })
      expect(run.code, describeRun(run)).toBe(0)

      const lines = jsonLines(run.stdout)
      const records = lines.filter((l) => 'sequenceNumber' in l)
      const key = (r: Record<string, unknown>) => `${String(r.shardId)} ${String(r.sequenceNumber)}`
      // Each record exactly once, as put (no duplicate within one clean run, nothing missing).
      expect([...records].sort((a, b) => key(a).localeCompare(key(b)))).toEqual(
        orders
          .map((o) => ({
            shardId: o.put.shardId,
            sequenceNumber: o.put.sequenceNumber,
            partitionKey: o.partitionKey,
            data: o.data,
          }))
          .sort((a, b) => key(a).localeCompare(key(b))),
      )
      for (const shardId of shardIds()) {
        expect(
          records.filter((r) => r.shardId === shardId).map((r) => r.data),
          shardId,
        ).toEqual(ofShard(shardId).map((o) => o.data))
      }

      // After stop(): each shard checkpointed at its last record, and its lease released.
      const leases = lines.filter((l) => 'lease' in l)
      expect(leases.sort((a, b) => String(a.lease).localeCompare(String(b.lease)))).toEqual(
        shardIds().map((shardId) => ({
          lease: shardId,
          checkpoint: ofShard(shardId).at(-1)?.put.sequenceNumber,
          owner: null,
        })),
      )
    },
    INSTALL_TIMEOUT_MS + 180_000,
  )

  it(
    "type-checks the app against the packages' .d.ts files (tsc --checkJs --strict)",
    async () => {
      const dir = await leaseApp()
      copyFileSync(fixture('lease-app.mjs'), join(dir, 'app.mjs'))
      const run = await typeCheck(dir, 'app.mjs')
      expect(run.code, describeRun(run)).toBe(0)
    },
    INSTALL_TIMEOUT_MS + 180_000,
  )
})

describe('@kine/metrics installed alone with npm', () => {
  it(
    'sends a metric through CloudWatchMetrics and writes one as an EMF line, then exits',
    async () => {
      const receiver = cloudwatch
      if (receiver === undefined) throw new Error('the CloudWatch receiver did not start')
      const dir = await metricsApp()
      copyFileSync(fixture('metrics-app.mjs'), join(dir, 'app.mjs'))
      const run = await runCommand(process.execPath, ['app.mjs'], {
        cwd: dir,
        env: { ...env, CLOUDWATCH_ENDPOINT: receiver.endpoint },
        timeoutMs: 60_000,
      })
      expect(run.code, describeRun(run)).toBe(0)

      // Two values of one metric, aggregated into one datum by close()'s flush.
      const data = receiver.metricData().filter((d) => d.Namespace === 'KinePack/App')
      expect(data.map((d) => [d.MetricName, d.Unit, dimensions(d)])).toEqual([
        ['RecordsProcessed', 'Count', { App: 'pack-test', StreamName: 'orders' }],
      ])
      expect(data.map(sumAndCount)).toEqual([{ sum: 12, count: 2 }])

      const emf = jsonLines(run.stdout)
      expect(emf).toHaveLength(1)
      expect(emf[0]).toMatchObject({
        _aws: {
          CloudWatchMetrics: [
            {
              Namespace: 'KinePack/Emf',
              Metrics: [{ Name: 'BytesProcessed', Unit: 'Bytes' }],
            },
          ],
        },
        BytesProcessed: 1024,
        App: 'pack-test',
        StreamName: 'orders',
      })
    },
    INSTALL_TIMEOUT_MS + 60_000,
  )

  it(
    "type-checks the app against the packages' .d.ts files (tsc --checkJs --strict)",
    async () => {
      const dir = await metricsApp()
      copyFileSync(fixture('metrics-app.mjs'), join(dir, 'app.mjs'))
      const run = await typeCheck(dir, 'app.mjs')
      expect(run.code, describeRun(run)).toBe(0)
    },
    INSTALL_TIMEOUT_MS + 180_000,
  )
})

function dimensions(datum: ReceivedDatum): Record<string, string> {
  return Object.fromEntries(datum.Dimensions.map((d) => [d.Name, d.Value]))
}

function sumAndCount(datum: ReceivedDatum): { sum: number; count: number } {
  if (datum.StatisticValues !== undefined)
    return { sum: datum.StatisticValues.Sum, count: datum.StatisticValues.SampleCount }
  if (datum.Values !== undefined) {
    const counts = datum.Values.map((_, i) => datum.Counts?.[i] ?? 1)
    return {
      sum: datum.Values.reduce((total, v, i) => total + v * (counts[i] ?? 1), 0),
      count: counts.reduce((total, c) => total + c, 0),
    }
  }
  return { sum: datum.Value ?? 0, count: 1 }
}

describe('@kine/cli through npx', () => {
  const kine = async (...args: string[]) => {
    await registryReachable()
    return npx([tarball('@kine/cli'), tarball('@kine/core')], ['kine', ...args], {
      ...npmOptions,
      cwd: scratch('npx'),
      timeoutMs: INSTALL_TIMEOUT_MS,
    })
  }

  it(
    'kine --help lists the commands',
    async () => {
      const run = await kine('--help')
      expect(run.code, describeRun(run)).toBe(0)
      for (const command of ['ls', 'pull', 'leases'])
        expect(run.stdout, describeRun(run)).toMatch(new RegExp(`^\\s+${command}\\s+\\S`, 'm'))
    },
    INSTALL_TIMEOUT_MS + 60_000,
  )

  it(
    'kine pull --until-caught-up prints every record of a local stream, in shard order',
    async () => {
      const run = await kine(
        'pull',
        STREAM,
        '-t',
        'TRIM_HORIZON',
        '--endpoint',
        kinesis?.endpoint ?? '',
        '--until-caught-up',
        '--region',
        'us-east-1',
      )
      expect(run.code, describeRun(run)).toBe(0)
      const lines = run.stdout.split('\n').filter((line) => line !== '')
      expect([...lines].sort()).toEqual(orders.map((o) => o.data).sort())
      for (const shardId of shardIds()) {
        const expected = ofShard(shardId).map((o) => o.data)
        expect(lines.filter((l) => expected.includes(l))).toEqual(expected)
      }
    },
    INSTALL_TIMEOUT_MS + 60_000,
  )
})
