// The README against the code: its table of metrics is core's METRICS, so it cannot drift from
// what kine reports (when this fails, paste the expected table it prints into the README); it
// lists every export of `@kine/metrics` and nothing else; its options tables hold exactly the
// options' keys.
import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { METRICS } from '@kine/core'
import {
  listedNames,
  moduleExports,
  optionKeys,
  section,
  tableFirstColumns,
} from '@kine-tools/test/readme-drift'
import { describe, expect, it } from 'vitest'

const root = fileURLToPath(new URL('./index.ts', import.meta.url))

function metricsTable(): string {
  const rows = Object.entries(METRICS).map(([name, m]) => {
    const summary = m.dimensions.filter((d) => d !== 'ShardId')
    return `| \`${name}\` | ${m.unit} | ${summary.join(', ')} | ${m.dimensions.join(', ')} | ${m.description} |`
  })
  return [
    '| Name | Unit | Dimensions at `summary` | Dimensions at `detailed` | Meaning |',
    '| --- | --- | --- | --- | --- |',
    ...rows,
  ].join('\n')
}

describe('README', () => {
  const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8')

  it('lists exactly the exports of @kine/metrics under Exports', () => {
    expect(listedNames(section(readme, '## Exports'))).toEqual(moduleExports(root))
  })

  it("lists the options of both sinks, then CloudWatchMetrics' and EmfMetrics' own, under Options", () => {
    const shared = optionKeys(root, 'MetricsOptions')
    const own = (type: string) => optionKeys(root, type).filter((key) => !shared.includes(key))
    expect(tableFirstColumns(section(readme, '## Options'))).toEqual([
      shared,
      own('CloudWatchMetricsOptions'),
      own('EmfMetricsOptions'),
    ])
  })

  it('lists every metric kine reports with the unit, dimensions and meaning core defines', () => {
    const start = readme.indexOf('<!-- metrics-table:start -->')
    const end = readme.indexOf('<!-- metrics-table:end -->')
    expect(start, 'README has the metrics-table markers').toBeGreaterThanOrEqual(0)
    const table = readme.slice(start + '<!-- metrics-table:start -->'.length, end).trim()
    expect(table).toBe(metricsTable())
  })
})
