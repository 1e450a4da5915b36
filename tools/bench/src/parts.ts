// The parts of `pnpm bench`, and `--only` to run some of them alone.

/** Each part, in the order they run. */
export const PARTS = ['reader', 'worker', 'governed', 'limits25', 'kpl'] as const
export type Part = (typeof PARTS)[number]

/** What each part is, for `--help` and the README. */
export const PART_SUMMARY: Readonly<Record<Part, string>> = {
  reader: 'ShardReader (limits unlimited) against the bare SDK loop',
  worker: 'Sync + Consumer (dynalite) against the bare SDK loop',
  governed: 'ShardReader with default limits, Limit 500, on a small stream',
  limits25: 'ShardReader with default limits, Limit 10,000, on 25 MB per shard',
  kpl: 'KPL decoders: @kine/core against aws-kinesis-agg',
}

/**
 * The parts `--only` names (comma-separated, may repeat), or every part. Throws on an unknown
 * name, listing the known ones.
 */
export function selectParts(only: readonly string[] | undefined): ReadonlySet<Part> {
  if (only === undefined || only.length === 0) return new Set(PARTS)
  const names = only
    .flatMap((o) => o.split(','))
    .map((o) => o.trim())
    .filter((o) => o !== '')
  const unknown = names.filter((n) => !(PARTS as readonly string[]).includes(n))
  if (unknown.length > 0)
    throw new Error(`--only: unknown part ${unknown.join(', ')}; expected ${PARTS.join(', ')}`)
  return new Set(names as Part[])
}

/** argv without the `--` that `pnpm bench -- --only x` passes through. */
export function benchArgv(argv: readonly string[] = process.argv.slice(2)): string[] {
  return argv.filter((a) => a !== '--')
}
