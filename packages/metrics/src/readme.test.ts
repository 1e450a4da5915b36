// The README's table of metrics is checked against core's METRICS, so it cannot drift from what
// kine reports. When this fails, paste the expected table it prints into the README.
import { readFileSync } from 'node:fs'
import { METRICS } from '@kine/core'
import { describe, expect, it } from 'vitest'

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
  it('lists every metric kine reports with the unit, dimensions and meaning core defines', () => {
    const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8')
    const start = readme.indexOf('<!-- metrics-table:start -->')
    const end = readme.indexOf('<!-- metrics-table:end -->')
    expect(start, 'README has the metrics-table markers').toBeGreaterThanOrEqual(0)
    const table = readme.slice(start + '<!-- metrics-table:start -->'.length, end).trim()
    expect(table).toBe(metricsTable())
  })
})
