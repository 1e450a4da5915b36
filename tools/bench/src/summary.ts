// Turns contender runs into medians, ratios and verdicts.
import type { ContenderResult } from './contender.js'
import type { GovernedResult } from './governed-result.js'

/** The targets of the issue: the reader against the bare loop. */
export const TARGETS = {
  /** Reader records/s at least this share of the bare loop's. */
  minThroughputRatio: 0.9,
  /** Reader CPU per record at most this multiple of the bare loop's. */
  maxCpuPerRecordRatio: 1.2,
  /** Kinesis per-shard limits the default run must keep. */
  getRecordsPerSecond: 5,
  getShardIteratorPerSecond: 5,
  bytesPerSecond: 2_000_000,
} as const

/** One run's figures, derived from what the contender measured. */
export interface RunFigures {
  readonly records: number
  readonly recordsPerSecond: number
  readonly wallSeconds: number
  readonly cpuSeconds: number
  readonly cpuMicrosPerRecord: number
  readonly maxRssMb: number
  readonly rssBeforeMb: number
  readonly callsPerSecond: number
  /** CPU the emulator spent during this run (Linux /proc; undefined elsewhere). */
  readonly emulatorCpuSeconds: number | undefined
}

/** Figures of a run. */
export function figures(run: ContenderResult, emulatorCpuSeconds: number | undefined): RunFigures {
  const cpuMs = run.cpuUserMs + run.cpuSystemMs
  return {
    records: run.records,
    recordsPerSecond: (run.records * 1000) / run.wallMs,
    wallSeconds: run.wallMs / 1000,
    cpuSeconds: cpuMs / 1000,
    cpuMicrosPerRecord: (cpuMs * 1000) / run.records,
    maxRssMb: run.maxRssKb / 1024,
    rssBeforeMb: run.rssBeforeKb / 1024,
    callsPerSecond: (run.calls * 1000) / run.wallMs,
    emulatorCpuSeconds,
  }
}

/** The median of `values` (the mean of the middle two for an even count). */
export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b)
  const mid = Math.floor(sorted.length / 2)
  if (sorted.length === 0) return NaN
  return sorted.length % 2 === 1
    ? (sorted[mid] as number)
    : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2
}

/** Each figure's median over the runs, taken figure by figure. */
export function medianFigures(runs: readonly RunFigures[]): RunFigures {
  const m = (pick: (r: RunFigures) => number): number => median(runs.map(pick))
  const emulator = runs.map((r) => r.emulatorCpuSeconds).filter((v): v is number => v !== undefined)
  return {
    records: m((r) => r.records),
    recordsPerSecond: m((r) => r.recordsPerSecond),
    wallSeconds: m((r) => r.wallSeconds),
    cpuSeconds: m((r) => r.cpuSeconds),
    cpuMicrosPerRecord: m((r) => r.cpuMicrosPerRecord),
    maxRssMb: m((r) => r.maxRssMb),
    rssBeforeMb: m((r) => r.rssBeforeMb),
    callsPerSecond: m((r) => r.callsPerSecond),
    emulatorCpuSeconds: emulator.length > 0 ? median(emulator) : undefined,
  }
}

/** Reader against bare, from the medians. */
export interface Comparison {
  readonly throughputRatio: number
  readonly cpuPerRecordRatio: number
  readonly cpuRatio: number
  readonly maxRssRatio: number
  readonly throughputPass: boolean
  readonly cpuPass: boolean
}

export function compare(reader: RunFigures, bare: RunFigures): Comparison {
  const throughputRatio = reader.recordsPerSecond / bare.recordsPerSecond
  const cpuPerRecordRatio = reader.cpuMicrosPerRecord / bare.cpuMicrosPerRecord
  return {
    throughputRatio,
    cpuPerRecordRatio,
    cpuRatio: reader.cpuSeconds / bare.cpuSeconds,
    maxRssRatio: reader.maxRssMb / bare.maxRssMb,
    throughputPass: throughputRatio >= TARGETS.minThroughputRatio,
    cpuPass: cpuPerRecordRatio <= TARGETS.maxCpuPerRecordRatio,
  }
}

/** The verdict on one shard of the default-limits run. */
export interface GovernedVerdict {
  readonly shardId: string
  readonly callsPass: boolean
  readonly iteratorCallsPass: boolean
  /**
   * Kinesis lets one response run over 2 MB (up to 10 MB) and then holds the shard until the
   * bytes are paid off at 2 MB/s; so in any second a reader within the limit returns at most
   * 2 MB plus one response. That is the bound checked here, and the bytes paid off by the end (all
   * but the last response's) at most 2 MB/s.
   */
  readonly bytesPass: boolean
  readonly allowedBytesPerWindow: number
}

export function judgeGoverned(result: GovernedResult): GovernedVerdict[] {
  return result.shards.map((s) => {
    const allowedBytesPerWindow = TARGETS.bytesPerSecond + s.largestResponseBytes
    return {
      shardId: s.shardId,
      callsPass: s.maxGetRecordsPerWindow <= TARGETS.getRecordsPerSecond,
      iteratorCallsPass: s.maxGetShardIteratorPerWindow <= TARGETS.getShardIteratorPerSecond,
      bytesPass:
        s.maxBytesPerWindow <= allowedBytesPerWindow &&
        s.paidBytesPerSecond <= TARGETS.bytesPerSecond,
      allowedBytesPerWindow,
    }
  })
}
