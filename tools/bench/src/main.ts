// `pnpm bench`: @kine/core's ShardReader, and the whole worker (@kine/sync + @kine/lease on
// dynalite), against a bare SDK GetRecords loop, on kinesalite run as a child process. Each
// contender reads the same records in a process of its own, several times, alternating; the
// medians and their ratios are reported (the reader's against the issue's targets). Runs with the
// reader's default limits check calls and bytes per shard per one-second window, at Limit 500 on a
// small stream and at Limit 10,000 on 25 MB per shard. Last, the two KPL decoders are timed.
// `--only` runs some parts alone (src/parts.ts).
import { mkdir, readdir, rm, writeFile } from 'node:fs/promises'
import { cpus, loadavg } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import {
  kinesisClient,
  startDynamo,
  startKinesis,
  type LocalDynamo,
  type LocalKinesis,
} from '@kine-tools/local'
import type { ContenderResult } from './contender.js'
import { processCpuSeconds } from './emulator-cpu.js'
import type { GovernedResult } from './governed-result.js'
import { governedPass, governedTable } from './governed-report.js'
import type { KplResult } from './kpl-result.js'
import { kplTable } from './kpl-report.js'
import { loadStream } from './load.js'
import { benchArgv, selectParts } from './parts.js'
import { summariseProfile, type ProfileSummary } from './profile-summary.js'
import { runContender } from './spawn-contender.js'
import {
  compare,
  figures,
  judgeGoverned,
  median,
  medianFigures,
  TARGETS,
  type RunFigures,
} from './summary.js'
import { num, table, verdict } from './table.js'
import { WORKER_OPTION_CHANGES } from './worker-options.js'
import type { WorkerResult } from './worker-result.js'

process.env.AWS_EC2_METADATA_DISABLED = 'true'

const { values: flags } = parseArgs({
  args: benchArgv(),
  options: {
    only: { type: 'string', multiple: true },
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
const PARTS = selectParts(flags.only)
const ALL_CONTENDERS = ['bare', 'reader', 'worker'] as const
type Contender = (typeof ALL_CONTENDERS)[number]
// The bare loop is the baseline of every contender, so it runs whenever another does.
const MEASURED = ALL_CONTENDERS.filter((c) => c !== 'bare' && PARTS.has(c))
const CONTENDERS: readonly Contender[] = MEASURED.length > 0 ? ['bare', ...MEASURED] : []
const LABEL: Record<Contender, string> = {
  bare: 'bare SDK loop',
  reader: 'kine ShardReader',
  worker: 'kine worker (Sync + Consumer)',
}

const resultsDir = join(dirname(fileURLToPath(import.meta.url)), '..', 'results')

function progress(message: string): void {
  process.stderr.write(`${message}\n`)
}

async function measuredRun(
  kinesis: LocalKinesis,
  contender: Contender,
  argv: readonly string[],
  nodeArgs: readonly string[] = [],
  env: Readonly<Record<string, string>> = {},
): Promise<{ raw: ContenderResult; figures: RunFigures }> {
  const before = await processCpuSeconds(kinesis.pid)
  const raw = await runContender<ContenderResult>(`${contender}.js`, argv, { nodeArgs, env })
  const after = await processCpuSeconds(kinesis.pid)
  const emulator = before === undefined || after === undefined ? undefined : after - before
  return { raw, figures: figures(raw, emulator) }
}

async function profileContenders(
  kinesis: LocalKinesis,
  argv: readonly string[],
  env: Readonly<Record<string, string>>,
): Promise<ProfileSummary[]> {
  const dir = join(resultsDir, 'profiles')
  await rm(dir, { recursive: true, force: true })
  await mkdir(dir, { recursive: true })
  const summaries: ProfileSummary[] = []
  for (const contender of CONTENDERS) {
    progress(`profiling ${contender} (node --cpu-prof) ...`)
    await measuredRun(
      kinesis,
      contender,
      argv,
      ['--cpu-prof', `--cpu-prof-dir=${dir}`, `--cpu-prof-name=${contender}.cpuprofile`],
      env,
    )
  }
  for (const file of (await readdir(dir)).sort())
    summaries.push(await summariseProfile(join(dir, file)))
  return summaries
}

function throughputTable(
  runs: Partial<Record<Contender, RunFigures[]>>,
  medians: Partial<Record<Contender, RunFigures>>,
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
    runs[c]?.forEach((f, i) => rows.push(row(`  ${c} run ${i + 1}`, f)))
  }
  for (const c of CONTENDERS) {
    const m = medians[c]
    if (m !== undefined) rows.push(row(`${LABEL[c]} (median)`, m))
  }
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
function emulatorNote(medians: Partial<Record<Contender, RunFigures>>): string {
  const busy = CONTENDERS.map(
    (c) => (medians[c]?.emulatorCpuSeconds ?? NaN) / (medians[c]?.wallSeconds ?? NaN),
  )
  if (busy.some((b) => Number.isNaN(b))) return 'emulator CPU: not measured on this platform'
  const share = busy.map((b) => `${num(b * 100)} %`).join(' / ')
  const names = CONTENDERS.join(' / ')
  return busy.every((b) => b >= 0.8)
    ? `kinesalite was busy ${share} of the wall time (${names}): all were bound by the emulator, ` +
        'so records/s shows a contender adds no waiting; CPU per record is the sharper comparison'
    : `kinesalite was busy ${share} of the wall time (${names})`
}

interface Throughput {
  readonly runs: Partial<Record<Contender, RunFigures[]>>
  readonly medians: Partial<Record<Contender, RunFigures>>
  readonly raw: ContenderResult[]
}

/** Step 2: every selected contender and the bare loop, alternating, RUNS times each. */
async function throughput(
  kinesis: LocalKinesis,
  argv: readonly string[],
  env: Readonly<Record<string, string>>,
): Promise<Throughput> {
  const raw: ContenderResult[] = []
  const runs: Partial<Record<Contender, RunFigures[]>> = {}
  for (let i = 0; i < RUNS; i++) {
    // Alternate the order, so drift in the machine or the emulator hits all alike.
    const order = i % 2 === 0 ? CONTENDERS : [...CONTENDERS].reverse()
    for (const contender of order) {
      const run = await measuredRun(kinesis, contender, argv, [], env)
      raw.push(run.raw)
      ;(runs[contender] ??= []).push(run.figures)
      progress(
        `run ${i + 1} ${contender}: ${num(run.figures.recordsPerSecond)} records/s, ` +
          `${num(run.figures.cpuMicrosPerRecord, 1)} µs CPU/record, peak RSS ${num(run.figures.maxRssMb)} MB`,
      )
    }
  }
  const medians: Partial<Record<Contender, RunFigures>> = {}
  for (const c of CONTENDERS) medians[c] = medianFigures(runs[c] ?? [])
  return { runs, medians, raw }
}

/** Per run pair, contender / bare: the noise around the medians. */
function paired(
  runs: Partial<Record<Contender, RunFigures[]>>,
  contender: Contender,
): { throughput: number; cpuPerRecord: number }[] {
  return (runs[contender] ?? []).map((r, i) => {
    const b = runs.bare?.[i] as RunFigures
    return {
      throughput: r.recordsPerSecond / b.recordsPerSecond,
      cpuPerRecord: r.cpuMicrosPerRecord / b.cpuMicrosPerRecord,
    }
  })
}

/** Median DynamoDB requests of the worker's runs, by operation and per second. */
function workerDynamo(raw: readonly ContenderResult[]): {
  perSecond: number
  byOperation: Record<string, number>
} {
  const workers = raw.filter((r) => r.contender === 'worker') as WorkerResult[]
  const ops = new Set(workers.flatMap((w) => Object.keys(w.dynamoRequests)))
  const byOperation: Record<string, number> = {}
  for (const op of [...ops].sort())
    byOperation[op] = median(workers.map((w) => w.dynamoRequests[op] ?? 0))
  return { perSecond: median(workers.map((w) => w.dynamoRequestsPerSecond)), byOperation }
}

async function governedRun(
  kinesis: LocalKinesis,
  stream: string,
  shards: Readonly<Record<string, number>>,
  limit: number,
): Promise<GovernedResult> {
  return runContender<GovernedResult>(
    'governed.js',
    [kinesis.endpoint, stream, JSON.stringify(shards)],
    { env: { BENCH_GOVERNED_LIMIT: String(limit) } },
  )
}

async function main(): Promise<number> {
  const started = performance.now()
  // Other work on the machine moves wall-clock figures (CPU per record much less): say how busy it was.
  const loadBefore = loadavg()[0] ?? 0
  const out: string[] = []
  const json: Record<string, unknown> = {
    date: new Date().toISOString(),
    node: process.version,
    cpus: cpus().length,
    cpuModel: cpus()[0]?.model,
    parts: [...PARTS],
    config: {
      shards: SHARDS,
      recordsPerShard: PER_SHARD,
      recordBytes: RECORD_BYTES,
      runs: RUNS,
      limit: 10_000,
    },
  }
  let kinesis: LocalKinesis | undefined
  let dynamo: LocalDynamo | undefined
  let client: ReturnType<typeof kinesisClient> | undefined
  try {
    const needsStream = CONTENDERS.length > 0 || PARTS.has('limits25')
    let argv: string[] = []
    let shards: Record<string, number> = {}
    if (needsStream || PARTS.has('governed')) {
      progress('starting kinesalite as a child process ...')
      kinesis = await startKinesis({ engine: 'kinesalite', mode: 'child' })
      client = kinesisClient(kinesis.endpoint)
    }
    if (kinesis !== undefined && client !== undefined && needsStream) {
      const stream = 'bench-throughput'
      const t0 = performance.now()
      progress(
        `loading ${num(SHARDS * PER_SHARD)} records of ${RECORD_BYTES} B into ${SHARDS} shards ...`,
      )
      shards = await loadStream(client, stream, SHARDS, PER_SHARD, RECORD_BYTES)
      const loadSeconds = (performance.now() - t0) / 1000
      json.loadSeconds = loadSeconds
      progress(
        `loaded in ${num(loadSeconds, 1)} s (${num((SHARDS * PER_SHARD) / loadSeconds)} records/s)`,
      )
      argv = [kinesis.endpoint, stream, JSON.stringify(shards)]
    }

    const env: Record<string, string> = {}
    if (PARTS.has('worker') || PARTS.has('limits25')) {
      // In this process: the contenders' CPU stays their own (this process only waits on them).
      dynamo = await startDynamo({ engine: 'dynalite' })
      env.BENCH_DYNAMO_ENDPOINT = dynamo.endpoint
    }
    let bareMedian: RunFigures | undefined
    if (kinesis !== undefined && CONTENDERS.length > 0) {
      let wantProfiles = flags.profile
      const cpu0 = process.cpuUsage()
      const t = await throughput(kinesis, argv, env)
      const mainCpu = process.cpuUsage(cpu0)
      out.push(
        `\nkine bench: ${MEASURED.map((c) => LABEL[c]).join(' and ')} vs a bare SDK GetRecords loop, kinesalite in a child process, node ${process.version}, ${cpus().length} CPUs`,
        `${SHARDS} shards × ${num(PER_SHARD)} records of ${RECORD_BYTES} B from TRIM_HORIZON, Limit 10,000, all unthrottled; ` +
          `${RUNS} runs each, alternating; medians\n`,
        throughputTable(t.runs, t.medians),
        '',
      )
      const bare = t.medians.bare as RunFigures
      bareMedian = bare
      const comparisons: Record<string, unknown> = {}
      if (t.medians.reader !== undefined) {
        const c = compare(t.medians.reader, bare)
        comparisons.reader = c
        const p = paired(t.runs, 'reader')
        out.push(
          `throughput  reader / bare = ${num(c.throughputRatio, 3)}  (target ≥ ${TARGETS.minThroughputRatio})  ${verdict(c.throughputPass)}`,
          `CPU/record  reader / bare = ${num(c.cpuPerRecordRatio, 3)}  (target ≤ ${TARGETS.maxCpuPerRecordRatio})  ${verdict(c.cpuPass)}`,
          `peak RSS    reader / bare = ${num(c.maxRssRatio, 3)}  (reported, no target)`,
          `per run pair, reader / bare: throughput ${p.map((x) => num(x.throughput, 2)).join(' ')}; ` +
            `CPU/record ${p.map((x) => num(x.cpuPerRecord, 2)).join(' ')}`,
        )
        if (!c.throughputPass || !c.cpuPass) wantProfiles = true
      }
      if (t.medians.worker !== undefined) {
        const c = compare(t.medians.worker, bare)
        const p = paired(t.runs, 'worker')
        const d = workerDynamo(t.raw)
        comparisons.worker = { ...c, dynamo: d }
        out.push(
          `throughput  worker / bare = ${num(c.throughputRatio, 3)}  (reported, no target)`,
          `CPU/record  worker / bare = ${num(c.cpuPerRecordRatio, 3)}  (reported, no target)`,
          `peak RSS    worker / bare = ${num(c.maxRssRatio, 3)}  (reported, no target)`,
          `per run pair, worker / bare: throughput ${p.map((x) => num(x.throughput, 2)).join(' ')}; ` +
            `CPU/record ${p.map((x) => num(x.cpuPerRecord, 2)).join(' ')}`,
          `worker DynamoDB requests (median per run): ${Object.entries(d.byOperation)
            .map(([op, n]) => `${op} ${num(n)}`)
            .join(', ')}; ${num(d.perSecond, 1)} requests/s over the read phase`,
          `worker options that differ from the defaults: ${WORKER_OPTION_CHANGES}`,
          `(dynalite in the parent process: its CPU is in no contender's figures; the parent used ${num((mainCpu.user + mainCpu.system) / 1e6, 2)} s CPU over all runs)`,
        )
      }
      out.push(
        emulatorNote(t.medians),
        '(the verdicts and ratios use the medians; the per-pair ratios show the noise)',
      )
      const profiles = wantProfiles ? await profileContenders(kinesis, argv, env) : []
      for (const p of profiles) out.push(...profileLines(p))
      json.throughput = {
        runs: t.raw,
        figures: t.runs,
        medians: t.medians,
        comparisons,
        targets: TARGETS,
      }
      json.profiles = profiles
    }

    if (kinesis !== undefined && client !== undefined && PARTS.has('governed')) {
      const governedStream = 'bench-governed'
      const governedShards = await loadStream(
        client,
        governedStream,
        SHARDS,
        GOVERNED_PER_SHARD,
        RECORD_BYTES,
      )
      progress(
        `default limits: ${SHARDS} shards × ${num(GOVERNED_PER_SHARD)} records, Limit ${GOVERNED_LIMIT} ...`,
      )
      const governed = await governedRun(kinesis, governedStream, governedShards, GOVERNED_LIMIT)
      const verdicts = judgeGoverned(governed)
      const pass = governedPass(governed, verdicts)
      out.push(
        '',
        `default limits (5 GetRecords/s, 2 MB/s per shard): ${SHARDS} shards × ${num(GOVERNED_PER_SHARD)} records, ` +
          `Limit ${governed.limit}, read to the end and ${num(governed.idleMs / 1000, 1)} s on caught up; sliding 1 s windows\n`,
        governedTable(governed, verdicts),
        ALLOWED_NOTE,
        `default limits: ${verdict(pass)}${governed.untracedCalls > 0 ? ` (${governed.untracedCalls} calls not traced to a shard)` : ''}`,
      )
      json.defaultLimits = { ...governed, recordsPerShard: GOVERNED_PER_SHARD, verdicts, pass }
    }

    if (kinesis !== undefined && PARTS.has('limits25')) {
      const mb = (RECORD_BYTES * PER_SHARD) / 1e6
      progress(`default limits at scale: ${SHARDS} shards × ${num(mb, 1)} MB, Limit 10,000 ...`)
      const governed = await governedRun(kinesis, 'bench-throughput', shards, 10_000)
      const verdicts = judgeGoverned(governed)
      const pass = governedPass(governed, verdicts)
      const drain = median(governed.shards.map((s) => s.drainRecordsPerSecond))
      progress('default limits at scale: the worker with every option at its default ...')
      const worker = await runContender<WorkerResult>('worker.js', argv, {
        env: { ...env, BENCH_WORKER_LIMITS: 'default' },
      })
      const workerGoverned: GovernedResult = {
        limit: 10_000,
        idleMs: 0,
        untracedCalls: worker.untracedCalls ?? 0,
        shards: worker.governed ?? [],
      }
      const workerVerdicts = judgeGoverned(workerGoverned)
      const workerPass = governedPass(workerGoverned, workerVerdicts)
      const workerRate = (worker.records * 1000) / worker.wallMs
      const vsBare = (rate: number): string =>
        bareMedian === undefined
          ? ''
          : ` (${num(rate / bareMedian.recordsPerSecond, 3)} × the unthrottled bare loop's median in this run)`
      out.push(
        '',
        `default limits at scale: Limit 10,000, ${SHARDS} shards × ${num(PER_SHARD)} records of ${RECORD_BYTES} B ` +
          `(${num(mb, 1)} MB per shard), the stream of the throughput runs, from TRIM_HORIZON; sliding 1 s windows`,
        `(responses of about 10 MB: after each Kinesis holds the shard about 5 s, so a shard drains at most 2 MB/s)`,
        '',
        `one ShardReader per shard, default limits, read to the end and ${num(governed.idleMs / 1000, 1)} s on caught up:\n`,
        governedTable(governed, verdicts),
        `drain: ${num(drain)} records/s per shard (median), ${num(drain * SHARDS)} records/s over ${SHARDS} shards${vsBare(drain * SHARDS)}`,
        `readers: ${verdict(pass)}${governed.untracedCalls > 0 ? ` (${governed.untracedCalls} calls not traced to a shard)` : ''}`,
        '',
        `the worker (Sync + Consumer, every option at its default, checkpoint per batch), until every shard's last record is checkpointed:\n`,
        governedTable(workerGoverned, workerVerdicts),
        `worker: ${num(workerRate)} records/s over ${SHARDS} shards${vsBare(workerRate)}, ` +
          `${num(((worker.cpuUserMs + worker.cpuSystemMs) * 1000) / worker.records, 1)} µs CPU/record, ` +
          `peak RSS ${num(worker.maxRssKb / 1024)} MB, ${num(worker.dynamoRequestsPerSecond, 1)} DynamoDB requests/s`,
        `worker: ${verdict(workerPass)}${workerGoverned.untracedCalls > 0 ? ` (${workerGoverned.untracedCalls} calls not traced to a shard)` : ''}`,
        ALLOWED_NOTE,
        `(paid MB/s = all but the last response's bytes over the drain time: what the 2 MB/s limit bounds; ` +
          `drain = from the shard's first call to the response that completed it)`,
      )
      json.defaultLimitsAtScale = {
        readers: { ...governed, recordsPerShard: PER_SHARD, verdicts, pass, drain },
        worker: {
          ...worker,
          verdicts: workerVerdicts,
          pass: workerPass,
          recordsPerSecond: workerRate,
        },
      }
    }

    if (PARTS.has('kpl')) {
      progress('KPL decoders: @kine/core against aws-kinesis-agg ...')
      const kpl = await runContender<KplResult>('kpl.js', [])
      out.push(
        '',
        `KPL decoders on the same aggregates (made by aws-kinesis-agg, up to 1 MiB each), every user record's data touched; ` +
          `medians of ${kpl.rounds} alternating rounds; for information (no verdict)\n`,
        kplTable(kpl),
        `(agg / kine > 1: aws-kinesis-agg slower. It returns each record's data as a base64 string, decoded back here to touch it; ` +
          `kine checks the MD5 digest always, aws-kinesis-agg only when asked)`,
      )
      json.kpl = kpl
    }

    const totalSeconds = (performance.now() - started) / 1000
    const loadAfter = loadavg()[0] ?? 0
    out.push(
      `\nmachine load average (1 min): ${num(loadBefore, 2)} at start, ${num(loadAfter, 2)} at end, on ${cpus().length} CPUs`,
      `done in ${num(totalSeconds, 1)} s; results in tools/bench/results/latest.json`,
    )
    console.log(out.join('\n'))
    json.loadAverage = { start: loadBefore, end: loadAfter }
    json.totalSeconds = totalSeconds
    await mkdir(resultsDir, { recursive: true })
    await writeFile(join(resultsDir, 'latest.json'), `${JSON.stringify(json, null, 2)}\n`)
    return 0
  } finally {
    client?.destroy()
    await kinesis?.stop()
    await dynamo?.stop()
  }
}

const ALLOWED_NOTE =
  `(allowed MB = 2 MB + the shard's largest response: Kinesis lets one response exceed 2 MB and then holds the shard` +
  ` until it is paid off at 2 MB/s)`

function profileLines(p: ProfileSummary): string[] {
  const lines = [
    `\nprofile ${p.file} (${num(p.busyMs)} ms busy, whole process)`,
    table(
      ['self time by owner', 'ms', 'share'],
      p.byOwner.map((e) => [e.name, num(e.ms), `${num(e.share * 100, 1)} %`]),
    ),
    '',
    table(
      ['top functions (self time)', 'ms', 'share'],
      p.topFunctions.map((e) => [e.name, num(e.ms), `${num(e.share * 100, 1)} %`]),
    ),
  ]
  if (p.topCoreFunctions.length > 0) {
    lines.push(
      '',
      table(
        ['top @kine/core functions (self time)', 'ms', 'share'],
        p.topCoreFunctions.map((e) => [e.name, num(e.ms), `${num(e.share * 100, 1)} %`]),
      ),
    )
  }
  return lines
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error)
    process.exit(1)
  },
)
