// The README against the code: it lists every export of `@kine/core` and of
// `@kine/core/lease-table`, nothing they do not export, and ShardReader's options exactly.
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
const leaseTable = `${dir}src/lease-table/index.ts`

describe('README', () => {
  it("lists exactly @kine/core's exports under Exports", () => {
    expect(listedNames(section(readme, '## Exports'))).toEqual(moduleExports(root))
  })

  it("lists exactly @kine/core/lease-table's exports under its heading", () => {
    const listed = listedNames(
      section(readme, "## For kine's own packages: `@kine/core/lease-table`"),
    )
    expect(listed).toEqual(moduleExports(leaseTable))
  })

  it("lists exactly ShardReaderOptions' keys in ShardReader's options table", () => {
    const [table] = tableFirstColumns(section(readme, '## ShardReader'))
    expect(table).toEqual(optionKeys(root, 'ShardReaderOptions'))
  })
})
