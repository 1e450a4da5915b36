// The demo's timeline and settings, in one place, as a scenario the chaos runner plays without
// proxies. Times are seconds from the start of production.
import type { ScenarioDefinition } from '@kine-tools/chaos'

export const DEMO: ScenarioDefinition = {
  name: 'demo',
  title: 'a split, a merge, a worker SIGKILLed and a new one started; no faults',
  proxied: false,
  shards: 4,
  workers: 3,
  /** Short, so the killed worker's shards move within the minute. */
  leaseDurationMs: 6_000,
  /** Often, so the split's and merge's children get leases quickly. */
  syncIntervalMs: 2_000,
  keys: 16,
  /** One PutRecords of one record per key every tick. */
  produceEveryMs: 125,
  produceForS: 42,
  /** No faults: every record produced must be processed. */
  faultsEndS: 0,
  drainTimeoutS: 45,
  steps: [
    { atS: 10, run: (c) => c.split() },
    { atS: 18, run: (c) => c.merge() },
    {
      atS: 22,
      run: (c) => {
        c.kill('worker-2')
        c.event('worker-2 is gone: its leases expire and the others take them')
      },
    },
    { atS: 28, run: (c) => c.startWorker('worker-4') },
  ],
}
