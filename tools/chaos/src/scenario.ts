// What a scenario is: a stream, a fleet, a producer, and a timeline of steps (faults on and off,
// reshards, kills) that a runner plays against one pair of emulators. The chaos scenarios are
// these, and so is `pnpm demo` (no proxies, no faults).
import type { ChaosProxy } from './chaos-proxy.js'

/** What a step can do to the running scenario. */
export interface ScenarioContext {
  /** The proxies in front of the emulators; a scenario run without them throws on access. */
  readonly kinesisProxy: ChaosProxy
  readonly dynamoProxy: ChaosProxy
  /** Splits the first open shard in two; resolves once the stream is active again. */
  split(): Promise<void>
  /** Merges the two open shards at the top of the hash-key range. */
  merge(): Promise<void>
  /** SIGKILLs a process of the fleet. */
  kill(name: string): void
  /** Starts one more worker; resolves once it is running. */
  startWorker(name: string): Promise<void>
  /** Starts a new phase of the duplicate count (e.g. at an outage). */
  mark(label: string): void
  /** A line in the scenario's event log. */
  event(text: string): void
}

export interface Step {
  /** Seconds after production starts. */
  readonly atS: number
  readonly run: (ctx: ScenarioContext) => Promise<void> | void
}

export interface ScenarioDefinition {
  readonly name: string
  /** One line for the report. */
  readonly title: string
  readonly shards: number
  /** Workers at the start: worker-1 ... worker-N. */
  readonly workers: number
  /** Lease duration F of every worker. */
  readonly leaseDurationMs: number
  readonly syncIntervalMs: number
  /** Keys the producer numbers records for; one record per key per tick. */
  readonly keys: number
  readonly produceEveryMs: number
  /** How long the producer writes. */
  readonly produceForS: number
  /** When the last fault ends: every record produced from then on must be processed. */
  readonly faultsEndS: number
  /** After production stops, how long to wait for the workers to catch up. */
  readonly drainTimeoutS: number
  /**
   * Whether the fleet talks to the emulators through chaos proxies; without them (the demo) it
   * talks to the emulators straight and no step may touch a proxy.
   * @defaultValue true
   */
  readonly proxied?: boolean
  readonly steps: readonly Step[]
}
