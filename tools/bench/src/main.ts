// `pnpm bench`: @kine/core's ShardReader against a bare SDK GetRecords loop, on kinesalite run as
// a child process. Each contender reads the same records in a process of its own, several times,
// alternating; the medians and their ratios are checked against the issue's targets. A second run
// with the reader's default limits checks calls and bytes per shard per one-second window.
import { mkdir, readdir, rm, writeFile } from 'node:fs/promises'
import { cpus, loadavg } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { kinesisClient, startKinesis, type LocalKinesis } from '@kine-tools/local'
import type { ContenderResult } from './contender.js'
import { processCpuSeconds } from './emulator-cpu.js'
import type { GovernedResult } from './governed-result.js'
import { loadStream } from './load.js'
import { summariseProfile, type ProfileSummary } from './profile-summary.js'
import { runContender } from './spawn-contender.js'
import {
  compare,
  figures,
  judgeGoverned,
  medianFigures,
  TARGETS,
  type RunFigures,
} from './summary.js'
import { num, table, verdict } from './table.js'

process.env.AWS_EC2_METADATA_DISABLED = 'true'

const { values: flags } = parseArgs({
  options: {
    runs: { type: 'string', default: '5' },
    shards: { type: 'string', default: '4' },
    records: { type: 'string', default: '25000' },
    'record-bytes': { type: 'string', default: '1024' },
    'governed-records': { type: 'string', default: '4000' },
    'governed-limit': { type: 'string', default: '500' },
    profile: { type: 'boolean', default: false },
  },
})
const RUNS = Number(flags.runs)
const SHARDS = Number(flags.shards)
const PER_SHARD = Number(flags.records)
const RECORD_BYTES = Number(flags['record-bytes'])
const GOVERNED_PER_SHARD = Number(flags['governed-records'])
const GOVERNED_LIMIT = Number(flags['governed-limit'])
for (const [name, value] of Object.entries({
  runs: RUNS,
  shards: SHARDS,
  records: PER_SHARD,
  'record-bytes': RECORD_BYTES,
  'governed-records': GOVERNED_PER_SHARD,
  'governed-limit': GOVERNED_LIMIT,
})) {
  if (!Number.isSafeInteger(value) || value < 1)
    throw new Error(`--${name}: expected a positive integer`)
}
if (GOVERNED_LIMIT > 10_000)
  throw new Error('--governed-limit: at most 10,000 (the GetRecords maximum)')
const CONTENDERS = ['bare', 'reader'] as const
type Contender = (typeof CONTENDERS)[number]
const LABEL: Record<Contender, string> = { bare: 'bare SDK loop', reader: 'kine ShardReader' }

const resultsDir = join(dirname(fileURLToPath(import.meta.url)), '..', 'results')

function progress(message: string): void {
  process.stderr.write(`${message}\n`)
}

async function measuredRun(
  kinesis: LocalKinesis,
  contender: Contender,
  argv: readonly string[],
  nodeArgs: readonly string[] = [],
): Promise<{ raw: ContenderResult; figures: RunFigures }> {
  const before = await processCpuSeconds(kinesis.pid)
  const raw = await runContender<ContenderResult>(`${contender}.js`, argv, { nodeArgs })
  const after = await processCpuSeconds(kinesis.pid)
  const emulator = before === undefined || after === undefined ? undefined : after - before
  return { raw, figures: figures(raw, emulator) }
}

async function profileContenders(
  kinesis: LocalKinesis,
  argv: readonly string[],
): Promise<ProfileSummary[]> {
  const dir = join(resultsDir, 'profiles')
  await rm(dir, { recursive: true, force: true })
  await mkdir(dir, { recursive: true })
  const summaries: ProfileSummary[] = []
  for (const contender of CONTENDERS) {
    progress(`profiling ${contender} (node --cpu-prof) ...`)
    await measuredRun(kinesis, contender, argv, [
      '--cpu-prof',
      `--cpu-prof-dir=${dir}`,
      `--cpu-prof-name=${contender}.cpuprofile`,
    ])
  }
  for (const file of (await readdir(dir)).sort())
    summaries.push(await summariseProfile(join(dir, file)))
  return summaries
}

function throughputTable(
  runs: Record<Contender, RunFigures[]>,
  medians: Record<Contender, RunFigures>,
): string {
  const row = (name: string, f: RunFigures): string[] => [
    name,
    num(f.records),
    num(f.recordsPerSecond),
    num(f.wallSeconds, 2),
    num(f.cpuSeconds, 2),
    num(f.cpuMicrosPerRecord, 1),
    num(f.rssBeforeMb),
    num(f.maxRssMb),
    num(f.callsPerSecond, 1),
    num(f.emulatorCpuSeconds, 2),
  ]
  const rows: string[][] = []
  for (const c of CONTENDERS) {
    runs[c].forEach((f, i) => rows.push(row(`  ${c} run ${i + 1}`, f)))
  }
  for (const c of CONTENDERS) rows.push(row(`${LABEL[c]} (median)`, medians[c]))
  return table(
    [
      'contender',
      'records',
      'records/s',
      'wall s',
      'CPU s',
      'CPU µs/rec',
      'RSS start MB',
      'peak RSS MB',
      'calls/s',
      'emulator CPU s',
    ],
    rows,
  )
}

/** Says whether the emulator was the bottleneck: then records/s mostly shows the reader adds no wait. */
function emulatorNote(medians: Record<Contender, RunFigures>): string {
  const busy = CONTENDERS.map(
    (c) => (medians[c].emulatorCpuSeconds ?? NaN) / medians[c].wallSeconds,
  )
  if (busy.some((b) => Number.isNaN(b))) return 'emulator CPU: not measured on this platform'
  const share = busy.map((b) => `${num(b * 100)} %`).join(' / ')
  return busy.every((b) => b >= 0.8)
    ? `kinesalite was busy ${share} of the wall time (bare / reader): both were bound by the emulator, ` +
        'so records/s shows the reader adds no waiting; CPU per record is the sharper comparison'
    : `kinesalite was busy ${share} of the wall time (bare / reader)`
}

async function main(): Promise<number> {
  const started = performance.now()
  // Other work on the machine moves wall-clock figures (CPU per record much less): say how busy it was.
  const loadBefore = loadavg()[0] ?? 0
  progress('starting kinesalite as a child process ...')
  const kinesis = await startKinesis({ engine: 'kinesalite', mode: 'child' })
  const client = kinesisClient(kinesis.endpoint)
  try {
    const stream = 'bench-throughput'
    const t0 = performance.now()
    progress(
      `loading ${num(SHARDS * PER_SHARD)} records of ${RECORD_BYTES} B into ${SHARDS} shards ...`,
    )
    const shards = await loadStream(client, stream, SHARDS, PER_SHARD, RECORD_BYTES)
    const loadSeconds = (performance.now() - t0) / 1000
    progress(
      `loaded in ${num(loadSeconds, 1)} s (${num((SHARDS * PER_SHARD) / loadSeconds)} records/s)`,
    )
    const governedStream = 'bench-governed'
    const governedShards = await loadStream(
      client,
      governedStream,
      SHARDS,
      GOVERNED_PER_SHARD,
      RECORD_BYTES,
    )

    const argv = [kinesis.endpoint, stream, JSON.stringify(shards)]
    const raw: ContenderResult[] = []
    const runs: Record<Contender, RunFigures[]> = { bare: [], reader: [] }
    for (let i = 0; i < RUNS; i++) {
      // Alternate which goes first, so drift in the machine or the emulator hits both alike.
      const order: readonly Contender[] = i % 2 === 0 ? CONTENDERS : [...CONTENDERS].reverse()
      for (const contender of order) {
        const run = await measuredRun(kinesis, contender, argv)
        raw.push(run.raw)
        runs[contender].push(run.figures)
        progress(
          `run ${i + 1} ${contender}: ${num(run.figures.recordsPerSecond)} records/s, ` +
            `${num(run.figures.cpuMicrosPerRecord, 1)} µs CPU/record, peak RSS ${num(run.figures.maxRssMb)} MB`,
        )
      }
    }
    const medians = { bare: medianFigures(runs.bare), reader: medianFigures(runs.reader) }
    const comparison = compare(medians.reader, medians.bare)
    const paired = runs.reader.map((r, i) => {
      const b = runs.bare[i] as RunFigures
      return {
        throughput: r.recordsPerSecond / b.recordsPerSecond,
        cpuPerRecord: r.cpuMicrosPerRecord / b.cpuMicrosPerRecord,
      }
    })

    progress(
      `default limits: ${SHARDS} shards × ${num(GOVERNED_PER_SHARD)} records, Limit ${GOVERNED_LIMIT} ...`,
    )
    const governed = await runContender<GovernedResult>(
      'governed.js',
      [kinesis.endpoint, governedStream, JSON.stringify(governedShards)],
      { env: { BENCH_GOVERNED_LIMIT: String(GOVERNED_LIMIT) } },
    )
    const governedVerdicts = judgeGoverned(governed)
    const governedPass =
      governed.untracedCalls === 0 &&
      governedVerdicts.every((v) => v.callsPass && v.iteratorCallsPass && v.bytesPass)

    const profiles =
      flags.profile || !comparison.throughputPass || !comparison.cpuPass
        ? await profileContenders(kinesis, argv)
        : []

    const out: string[] = []
    out.push(
      `\nkine bench: ShardReader vs a bare SDK GetRecords loop, kinesalite in a child process, node ${process.version}, ${cpus().length} CPUs`,
      `${SHARDS} shards × ${num(PER_SHARD)} records of ${RECORD_BYTES} B, Limit 10,000, both unthrottled (reader limits 'unlimited'); ` +
        `${RUNS} runs each, alternating; medians\n`,
      throughputTable(runs, medians),
      '',
      `throughput  reader / bare = ${num(comparison.throughputRatio, 3)}  (target ≥ ${TARGETS.minThroughputRatio})  ${verdict(comparison.throughputPass)}`,
      `CPU/record  reader / bare = ${num(comparison.cpuPerRecordRatio, 3)}  (target ≤ ${TARGETS.maxCpuPerRecordRatio})  ${verdict(comparison.cpuPass)}`,
      `peak RSS    reader / bare = ${num(comparison.maxRssRatio, 3)}  (reported, no target)`,
      emulatorNote(medians),
      `per run pair, reader / bare: throughput ${paired.map((p) => num(p.throughput, 2)).join(' ')}; ` +
        `CPU/record ${paired.map((p) => num(p.cpuPerRecord, 2)).join(' ')} (context for the noise; the verdicts use the medians)`,
      '',
      `default limits (5 GetRecords/s, 2 MB/s per shard): ${SHARDS} shards × ${num(GOVERNED_PER_SHARD)} records, ` +
        `Limit ${governed.limit}, read to the end and ${num(governed.idleMs / 1000, 1)} s on caught up; sliding 1 s windows\n`,
      table(
        [
          'shard',
          'records',
          'GetRecords',
          'max/1 s',
          'GetShardIt.',
          'max/1 s',
          'max MB/1 s',
          'allowed MB',
          'drain MB/s',
          'verdict',
        ],
        governed.shards.map((s, i) => {
          const v = governedVerdicts[i]
          return [
            s.shardId,
            num(s.records),
            num(s.getRecordsCalls),
            num(s.maxGetRecordsPerWindow),
            num(s.getShardIteratorCalls),
            num(s.maxGetShardIteratorPerWindow),
            num(s.maxBytesPerWindow / 1e6, 3),
            num((v?.allowedBytesPerWindow ?? 0) / 1e6, 3),
            num(s.drainBytesPerSecond / 1e6, 3),
            verdict(v !== undefined && v.callsPass && v.iteratorCallsPass && v.bytesPass),
          ]
        }),
      ),
      `(allowed MB = 2 MB + the shard's largest response: Kinesis lets one response exceed 2 MB and then holds the shard` +
        ` until it is paid off at 2 MB/s)`,
      `default limits: ${verdict(governedPass)}${governed.untracedCalls > 0 ? ` (${governed.untracedCalls} calls not traced to a shard)` : ''}`,
    )
    for (const p of profiles) {
      out.push(`\nprofile ${p.file} (${num(p.busyMs)} ms busy, whole process)`)
      out.push(
        table(
          ['self time by owner', 'ms', 'share'],
          p.byOwner.map((e) => [e.name, num(e.ms), `${num(e.share * 100, 1)} %`]),
        ),
      )
      out.push('')
      out.push(
        table(
          ['top functions (self time)', 'ms', 'share'],
          p.topFunctions.map((e) => [e.name, num(e.ms), `${num(e.share * 100, 1)} %`]),
        ),
      )
      if (p.topCoreFunctions.length > 0) {
        out.push('')
        out.push(
          table(
            ['top @kine/core functions (self time)', 'ms', 'share'],
            p.topCoreFunctions.map((e) => [e.name, num(e.ms), `${num(e.share * 100, 1)} %`]),
          ),
        )
      }
    }
    const totalSeconds = (performance.now() - started) / 1000
    const loadAfter = loadavg()[0] ?? 0
    out.push(
      `\nmachine load average (1 min): ${num(loadBefore, 2)} at start, ${num(loadAfter, 2)} at end, on ${cpus().length} CPUs`,
      `done in ${num(totalSeconds, 1)} s; results in tools/bench/results/latest.json`,
    )
    console.log(out.join('\n'))

    await mkdir(resultsDir, { recursive: true })
    const json = {
      date: new Date().toISOString(),
      node: process.version,
      cpus: cpus().length,
      cpuModel: cpus()[0]?.model,
      config: {
        shards: SHARDS,
        recordsPerShard: PER_SHARD,
        recordBytes: RECORD_BYTES,
        runs: RUNS,
        limit: 10_000,
      },
      loadSeconds,
      loadAverage: { start: loadBefore, end: loadAfter },
      throughput: { runs: raw, figures: runs, medians, comparison, paired, targets: TARGETS },
      defaultLimits: {
        ...governed,
        recordsPerShard: GOVERNED_PER_SHARD,
        verdicts: governedVerdicts,
        pass: governedPass,
      },
      profiles,
      pass: comparison.throughputPass && comparison.cpuPass && governedPass,
      totalSeconds,
    }
    await writeFile(join(resultsDir, 'latest.json'), `${JSON.stringify(json, null, 2)}\n`)
    return 0
  } finally {
    client.destroy()
    await kinesis.stop()
  }
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error)
    process.exit(1)
  },
)
