// The verdict table CI reads: a loss or a worker exit must show as FAIL in its row.
import { describe, expect, it } from 'vitest'
import { Ledger } from './ledger.js'
import { verdictTable } from './report.js'
import { passes, type ScenarioResult } from './scenario-runner.js'

function result(name: string, ledger: Ledger, exits = 0): ScenarioResult {
  const verdict = ledger.verdict(0)
  const workerExits = Array.from({ length: exits }, () => ({
    name: 'worker-1',
    code: 1,
    signal: null,
    atMs: 0,
  }))
  return {
    name,
    title: name,
    verdict,
    workerExits,
    faults: {},
    harnessErrors: [],
    durationS: 1,
    logDir: '/tmp',
    pass: passes(verdict, exits),
  }
}

describe('verdict', () => {
  it('fails a scenario on a loss or a worker exit, and says so in its row', () => {
    const good = new Ledger()
    good.produced('a', 0, 's0', 0)
    good.delivered('s0', [{ key: 'a', n: 0 }], () => [])
    const lossy = new Ledger()
    lossy.produced('a', 0, 's0', 0)
    const table = verdictTable([
      result('good', good),
      result('lossy', lossy),
      result('crashy', good, 1),
    ])
    const rows = table.split('\n').slice(2)
    expect(rows[0]).toMatch(/^good +1 +1 +0 +0 +0 +0 +0 +yes +PASS$/)
    expect(rows[1]).toMatch(/^lossy +1 +0 +1 +0 +0 +0 +0 +no +FAIL$/)
    expect(rows[2]).toMatch(/^crashy .* 1 +yes +FAIL$/)
  })
})
