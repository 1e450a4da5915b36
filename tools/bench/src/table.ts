// Plain-text tables for stdout.

/** Formats rows as a table with a header and right-aligned columns (the first left-aligned). */
export function table(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)))
  const line = (cells: readonly string[]): string =>
    cells
      .map((c, i) => (i === 0 ? c.padEnd(widths[i] ?? 0) : c.padStart(widths[i] ?? 0)))
      .join('  ')
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n')
}

/** `n` with `digits` decimals and thousands separators. */
export function num(n: number | undefined, digits = 0): string {
  if (n === undefined || Number.isNaN(n)) return '-'
  return n.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits })
}

export function verdict(pass: boolean): string {
  return pass ? 'PASS' : 'FAIL'
}
