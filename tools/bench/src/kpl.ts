// Contender "kpl": the relative speed of two KPL decoders on the same aggregates (made by
// aws-kinesis-agg): @kine/core's deaggregateInto and aws-kinesis-agg's deaggregateSync, each
// touching every user record's data once. For information: no verdict. Runs in a process of its
// own, without an emulator; the decoders alternate, and the medians are reported.
import type { KineRecord } from '@kine/core'
import { deaggregateInto } from '@kine/core/lease-table'
import agg from 'aws-kinesis-agg'
import { buildAggregates, type SdkRecord } from './kpl-aggregates.js'
import type { KplResult, KplShape } from './kpl-result.js'
import { median } from './summary.js'

/** aws-kinesis-agg's user record when given an SDK v3 record (capitalised fields, data base64). */
interface AggUserRecord {
  readonly Data: string
}

const ROUNDS = Number(process.env.BENCH_KPL_ROUNDS ?? 5)
const TOTAL_BYTES = Number(process.env.BENCH_KPL_MB ?? 16) * 1024 * 1024
// Small, medium and large user records: per-record overhead against per-byte work.
const SHAPES = [100, 1024, 50 * 1024]

function kine(aggregates: readonly SdkRecord[]): { records: number; bytes: number } {
  let records = 0
  let bytes = 0
  const out: KineRecord[] = []
  for (const aggregate of aggregates) {
    out.length = 0
    deaggregateInto(aggregate, 'shardId-000000000000', out)
    for (const r of out) {
      records++
      bytes += r.data.byteLength
    }
  }
  return { records, bytes }
}

function awsAgg(
  aggregates: readonly SdkRecord[],
  checksums: boolean,
): { records: number; bytes: number } {
  let records = 0
  let bytes = 0
  for (const aggregate of aggregates) {
    agg.deaggregateSync(aggregate, checksums, (error, users) => {
      if (error) throw error
      for (const r of (users ?? []) as unknown as AggUserRecord[]) {
        records++
        // Its data is a base64 string: touching it means decoding it, as a user would.
        bytes += Buffer.from(r.Data, 'base64').byteLength
      }
    })
  }
  return { records, bytes }
}

function timed(run: () => { records: number; bytes: number }): {
  ms: number
  records: number
  bytes: number
} {
  const t0 = performance.now()
  const r = run()
  return { ms: performance.now() - t0, ...r }
}

const shapes: KplShape[] = []
for (const recordBytes of SHAPES) {
  const aggregates = buildAggregates(recordBytes, TOTAL_BYTES)
  const kineMs: number[] = []
  const aggMs: number[] = []
  const aggNoChecksumMs: number[] = []
  let userRecords = 0
  // One untimed round first: JIT warm-up for both.
  kine(aggregates)
  awsAgg(aggregates, true)
  for (let round = 0; round < ROUNDS; round++) {
    const a = timed(() => kine(aggregates))
    const b = timed(() => awsAgg(aggregates, true))
    const c = timed(() => awsAgg(aggregates, false))
    if (a.records !== b.records || a.bytes !== b.bytes || a.records !== c.records)
      throw new Error(
        `decoders disagree on ${recordBytes}-byte records: kine ${a.records}/${a.bytes}, aws-kinesis-agg ${b.records}/${b.bytes}`,
      )
    userRecords = a.records
    kineMs.push(a.ms)
    aggMs.push(b.ms)
    aggNoChecksumMs.push(c.ms)
  }
  shapes.push({
    recordBytes,
    aggregates: aggregates.length,
    userRecords,
    aggregateBytes: aggregates.reduce((s, a) => s + a.Data.byteLength, 0),
    kineMs: median(kineMs),
    awsAggMs: median(aggMs),
    awsAggNoChecksumMs: median(aggNoChecksumMs),
  })
}
const result: KplResult = { rounds: ROUNDS, shapes }
process.stdout.write(`${JSON.stringify(result)}\n`)
