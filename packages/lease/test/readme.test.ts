// The README against the code: it lists every export of `@kine/lease` and nothing else, and the
// options table holds exactly ConsumerOptions' keys.
import { fileURLToPath } from 'node:url'
import {
  listedNames,
  moduleExports,
  optionKeys,
  readReadme,
  section,
  tableFirstColumns,
} from '@kine-tools/test/readme-drift'
import { describe, expect, it } from 'vitest'

const dir = fileURLToPath(new URL('..', import.meta.url))
const readme = readReadme(dir)
const root = `${dir}src/index.ts`

describe('README', () => {
  it('lists exactly the exports of @kine/lease under Exports', () => {
    expect(listedNames(section(readme, '## Exports'))).toEqual(moduleExports(root))
  })

  it("lists exactly ConsumerOptions' keys under Options", () => {
    expect(tableFirstColumns(section(readme, '## Options'))).toEqual([
      optionKeys(root, 'ConsumerOptions'),
    ])
  })
})
