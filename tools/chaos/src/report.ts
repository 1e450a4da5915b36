// The text `pnpm chaos` prints: the verdict table (one row per scenario), then for each scenario
// the duplicates per phase (what each outage or kill cost), where records were lost, and which
// faults were injected. The CI test reads the table's rows.
import type { ScenarioResult } from './scenario-runner.js'

const COLUMNS = [
  'scenario',
  'produced',
  'processed',
  'lost',
  'duplicates',
  'order viol.',
  'parent viol.',
  'worker exits',
  'resumed',
  'verdict',
] as const

/** One row per scenario, aligned. */
export function verdictTable(results: readonly ScenarioResult[]): string {
  const rows = results.map((r) => {
    const v = r.verdict
    return [
      r.name,
      String(v.produced),
      String(v.processed),
      String(v.lost),
      String(v.duplicates),
      String(v.orderViolations),
      String(v.childrenBeforeParents),
      String(r.workerExits.length),
      v.resumed ? 'yes' : 'no',
      r.pass ? 'PASS' : 'FAIL',
    ]
  })
  const widths = COLUMNS.map((c, i) => Math.max(c.length, ...rows.map((row) => row[i]!.length)))
  const line = (cells: readonly string[]): string =>
    cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ')
  return [line(COLUMNS), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n')
}

/** What each scenario's faults cost: duplicates per phase, losses by shard, faults injected. */
export function scenarioDetails(r: ScenarioResult): string {
  const v = r.verdict
  const out = [`${r.name}: ${r.title} (${r.durationS} s; logs ${r.logDir})`]
  out.push(
    '  duplicates by phase (deliveries beyond the first; most duplicate batches of one shard):',
  )
  for (const p of v.phases)
    out.push(
      `    ${`${(p.fromMs / 1000).toFixed(1)} s`.padStart(8)}  ${p.label.padEnd(48)} ${String(p.duplicates).padStart(6)}  batches/shard ${p.maxDuplicateBatchesPerShard}`,
    )
  out.push(
    `  after the faults: ${v.processedAfterFaults} of ${v.producedAfterFaults} records produced since then processed`,
  )
  if (v.unknown > 0) out.push(`  records nobody produced: ${v.unknown}`)
  for (const l of v.losses)
    out.push(
      `  LOST ${l.lost} of ${l.shardId}, produced ${(l.producedFromMs / 1000).toFixed(1)}–${(l.producedToMs / 1000).toFixed(1)} s (e.g. ${l.examples.join(', ')})`,
    )
  for (const h of r.harnessErrors) out.push(`  HARNESS ${h}`)
  for (const e of r.workerExits)
    out.push(
      `  WORKER EXIT ${e.name}: code ${e.code}, signal ${e.signal}, at ${(e.atMs / 1000).toFixed(1)} s`,
    )
  const faults = Object.entries(r.faults)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([k, n]) => `${k} ${n}`)
  out.push(`  faults injected: ${faults.join('; ') || 'none'}`)
  return out.join('\n')
}
