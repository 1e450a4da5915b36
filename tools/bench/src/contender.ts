// The child side of a contender: argument parsing, and the measurement around its read loop.
// Each contender runs in a process of its own, so CPU time and peak RSS are its own alone.

/** What the parent passes: `node dist/<contender>.js <endpoint> <stream> <shards-json>`. */
export interface ContenderArgs {
  readonly endpoint: string
  readonly stream: string
  /** Shard id → records it holds; a contender reads each shard until it has that many. */
  readonly shards: Readonly<Record<string, number>>
}

/** What a read loop reports back. */
export interface ReadTotals {
  readonly records: number
  /** Sum of the records' data lengths (every contender touches every record's data once). */
  readonly bytes: number
  /** Successful GetRecords responses. */
  readonly calls: number
}

/** One contender run, as printed (one JSON line) on the child's stdout. */
export interface ContenderResult extends ReadTotals {
  readonly contender: string
  /** Wall time of the read phase (first GetShardIterator to last record). */
  readonly wallMs: number
  /** CPU of this process during the read phase (process.cpuUsage). */
  readonly cpuUserMs: number
  readonly cpuSystemMs: number
  /** Resident memory just before reading (modules loaded, client built). */
  readonly rssBeforeKb: number
  /** Peak resident memory of the whole process (resourceUsage().maxRSS). */
  readonly maxRssKb: number
}

/** The totals of several shards together. */
export function sumTotals(totals: readonly ReadTotals[]): ReadTotals {
  let records = 0
  let bytes = 0
  let calls = 0
  for (const t of totals) {
    records += t.records
    bytes += t.bytes
    calls += t.calls
  }
  return { records, bytes, calls }
}

/** Parses this process's arguments; throws on anything missing. */
export function contenderArgs(argv: readonly string[] = process.argv.slice(2)): ContenderArgs {
  const [endpoint, stream, shardsJson] = argv
  if (endpoint === undefined || stream === undefined || shardsJson === undefined) {
    throw new Error('usage: node dist/<contender>.js <endpoint> <stream> <shards-json>')
  }
  const shards = JSON.parse(shardsJson) as Record<string, number>
  return { endpoint, stream, shards }
}

/**
 * Runs `read` between two samples of time, CPU and memory, prints the result as one JSON line and
 * sets the exit code (a failure goes to stderr with code 1). Fields `read` returns beyond the
 * totals are printed too. `cleanUp` runs after the measurement (a worker's stop() is not part of
 * its reading).
 */
export function measure(
  contender: string,
  read: () => Promise<ReadTotals>,
  cleanUp: () => Promise<void> = () => Promise.resolve(),
): void {
  process.env.AWS_EC2_METADATA_DISABLED = 'true'
  const rssBeforeKb = Math.round(process.memoryUsage.rss() / 1024)
  const cpu0 = process.cpuUsage()
  const t0 = performance.now()
  read()
    .then(
      (totals) => {
        const wallMs = performance.now() - t0
        const cpu = process.cpuUsage(cpu0)
        const result: ContenderResult = {
          contender,
          ...totals,
          wallMs,
          cpuUserMs: cpu.user / 1000,
          cpuSystemMs: cpu.system / 1000,
          rssBeforeKb,
          maxRssKb: process.resourceUsage().maxRSS,
        }
        process.stdout.write(`${JSON.stringify(result)}\n`)
      },
      (error: unknown) => {
        console.error(error)
        process.exitCode = 1
      },
    )
    .then(cleanUp)
    .catch((error: unknown) => {
      console.error(error)
      process.exitCode = 1
    })
}
