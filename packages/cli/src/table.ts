// Plain aligned text tables: oclif 4 no longer ships one, and a dependency for this is not worth it.

/** One column: its heading and how to align it. */
export interface Column<Row> {
  readonly header: string
  readonly get: (row: Row) => string
  /** @defaultValue 'left' */
  readonly align?: 'left' | 'right'
}

/** Renders rows under upper-case headings, columns two spaces apart, no trailing spaces. */
export function renderTable<Row>(columns: readonly Column<Row>[], rows: readonly Row[]): string {
  const cells = rows.map((row) => columns.map((c) => c.get(row)))
  const widths = columns.map((c, i) =>
    Math.max(c.header.length, ...cells.map((line) => (line[i] ?? '').length)),
  )
  const line = (values: readonly string[]): string =>
    values
      .map((v, i) => {
        const width = widths[i] ?? 0
        return columns[i]?.align === 'right' ? v.padStart(width) : v.padEnd(width)
      })
      .join('  ')
      .trimEnd()
  return [line(columns.map((c) => c.header.toUpperCase())), ...cells.map(line)].join('\n')
}
