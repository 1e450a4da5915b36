// The scenarios `pnpm chaos` plays, each in a full and a short (CI) version:
//  - mixed: every fault class at once at modest rates, with a split, a merge and a SIGKILL;
//  - outages: DynamoDB unreachable for longer than F, then Kinesis unreachable;
//  - malformed: every answer of one operation missing its field for a while, one after another.
// Lease durations are short (F = 3 s) so each run takes well under a minute.
import type { FaultRule, MalformedField } from './fault-rules.js'
import type { OutageMode } from './chaos-proxy.js'
import type { ScenarioDefinition, Step } from './scenario.js'

const F = 3_000
const base = {
  shards: 4,
  workers: 3,
  leaseDurationMs: F,
  syncIntervalMs: 2_000,
  keys: 16,
  produceEveryMs: 200,
} as const

/** Every fault class on every operation of one service, at modest rates (times `intensity`). */
export function mixedRules(service: 'kinesis' | 'dynamodb', intensity = 1): FaultRule[] {
  const rules: FaultRule[] = [
    { fault: { kind: 'throttle' }, probability: 0.04 },
    { fault: { kind: 'server-error', status: 500 }, probability: 0.015 },
    { fault: { kind: 'server-error', status: 503 }, probability: 0.015 },
    { fault: { kind: 'reset' }, probability: 0.01 },
    { fault: { kind: 'reset', afterUpstream: true }, probability: 0.01, label: 'reset-after' },
    { fault: { kind: 'truncate' }, probability: 0.01 },
    { fault: { kind: 'delay', ms: 400 }, probability: 0.04 },
  ]
  if (service === 'kinesis')
    rules.push(
      {
        operations: ['GetShardIterator', 'ListShards', 'GetRecords', 'DescribeStreamSummary'],
        fault: { kind: 'malformed' },
        probability: 0.03,
      },
      // Only shard-end answers carry ChildShards: strip their parents often enough to be seen.
      {
        operations: ['GetRecords'],
        fault: { kind: 'malformed', field: 'ParentShards' },
        probability: 0.3,
      },
    )
  else rules.push({ operations: ['Scan'], fault: { kind: 'malformed' }, probability: 0.05 })
  return rules.map((r) => ({
    ...r,
    service,
    // Capped below 1: a rule that hits every request (e.g. every shard end without its parents)
    // would be an outage of that answer, not a rate.
    probability: Math.min(0.5, (r.probability ?? 1) * intensity),
  }))
}

function mixed(short: boolean, intensity: number): ScenarioDefinition {
  const s = short ? 0.75 : 1
  const faultsFrom = 2
  const faultsEnd = Math.round(30 * s)
  const steps: Step[] = [
    {
      atS: faultsFrom,
      run: (c) => {
        c.kinesisProxy.setRules(mixedRules('kinesis', intensity))
        c.dynamoProxy.setRules(mixedRules('dynamodb', intensity))
        c.mark('faults on')
      },
    },
    { atS: Math.round(8 * s), run: (c) => c.split() },
    { atS: Math.round(16 * s), run: (c) => c.merge() },
    {
      atS: Math.round(20 * s),
      run: (c) => {
        c.kill('worker-2')
        c.mark('worker-2 SIGKILL')
      },
    },
    { atS: Math.round(24 * s), run: (c) => c.startWorker('worker-4') },
    {
      atS: faultsEnd,
      run: (c) => {
        c.kinesisProxy.clearRules()
        c.dynamoProxy.clearRules()
        c.mark('faults off')
      },
    },
  ]
  return {
    ...base,
    name: 'mixed',
    title: 'every fault class at modest rates, split, merge, SIGKILL',
    produceForS: faultsEnd + 8,
    faultsEndS: faultsEnd,
    drainTimeoutS: short ? 20 : 30,
    steps,
  }
}

function outage(
  service: 'kinesis' | 'dynamodb',
  mode: OutageMode,
  fromS: number,
  forS: number,
): Step[] {
  const proxy = (c: Parameters<Step['run']>[0]) =>
    service === 'kinesis' ? c.kinesisProxy : c.dynamoProxy
  return [
    {
      atS: fromS,
      run: async (c) => {
        c.mark(`${service} outage (${mode}, ${forS} s)`)
        await proxy(c).startOutage(mode)
      },
    },
    {
      atS: fromS + forS,
      run: async (c) => {
        await proxy(c).endOutage()
        c.event(`${service} outage over`)
      },
    },
  ]
}

/** DynamoDB out for `forS` (2.5 F unless said), then Kinesis as long; `modes` says how each looks. */
function outages(
  name: string,
  modes: { dynamodb: OutageMode; kinesis: OutageMode },
  short: boolean,
  forS = (2.5 * F) / 1000,
): ScenarioDefinition {
  const dynamoFrom = 5
  const kinesisFrom = dynamoFrom + forS + (short ? 4 : 6)
  const faultsEnd = kinesisFrom + forS
  return {
    ...base,
    name,
    title: `DynamoDB ${modes.dynamodb} ${forS} s (> F = ${F / 1000} s), then Kinesis ${modes.kinesis} ${forS} s`,
    produceForS: faultsEnd + 8,
    faultsEndS: faultsEnd,
    drainTimeoutS: short ? 20 : 30,
    steps: [
      ...outage('dynamodb', modes.dynamodb, dynamoFrom, forS),
      ...outage('kinesis', modes.kinesis, kinesisFrom, forS),
      { atS: faultsEnd + 0.5, run: (c) => c.mark('after the outages') },
    ],
  }
}

/** One operation's every answer malformed for `forS` seconds, with `also` happening inside it. */
function malformedWindow(
  label: string,
  service: 'kinesis' | 'dynamodb',
  operation: string,
  field: FaultRule['fault'] & { kind: 'malformed' },
  fromS: number,
  forS: number,
  also: readonly Step[] = [],
): Step[] {
  let handle: { remove(): void } | undefined
  return [
    {
      atS: fromS,
      run: (c) => {
        const proxy = service === 'kinesis' ? c.kinesisProxy : c.dynamoProxy
        handle = proxy.addRule({ service, operations: [operation], fault: field, label })
        c.mark(`every ${operation} ${label}`)
      },
    },
    ...also,
    {
      atS: fromS + forS,
      run: (c) => {
        handle?.remove()
        c.event(`${operation} answers whole again`)
      },
    },
  ]
}

function malformed(short: boolean): ScenarioDefinition {
  const w = short ? 3 : 5
  const gap = short ? 1 : 2
  // The GetShardIterator window outlasts F + S after the kill, so the killed worker's shards are
  // taken over (and need new iterators) inside it.
  const gsiW = w + F / 1000 + 1
  const t = (i: number): number => (i === 0 ? 3 : 3 + gsiW + gap + (i - 1) * (w + gap))
  const faultsEnd = t(5) + w
  const mal = (field: MalformedField) => ({ kind: 'malformed', field }) as const
  return {
    ...base,
    name: 'malformed',
    title:
      'every answer of one operation without its field for a while, one operation after another',
    produceForS: faultsEnd + 8,
    faultsEndS: faultsEnd,
    drainTimeoutS: short ? 20 : 30,
    steps: [
      // New iterators are needed by the split's children and the killed worker's shards.
      ...malformedWindow(
        'without ShardIterator',
        'kinesis',
        'GetShardIterator',
        mal('ShardIterator'),
        t(0),
        gsiW,
        [
          { atS: t(0) + 0.2, run: (c) => c.kill('worker-3') },
          { atS: t(0) + 0.5, run: (c) => c.split() },
        ],
      ),
      // Sync lists every 2 s: the merge's child must still get its lease, and no lease may end.
      ...malformedWindow('without Shards', 'kinesis', 'ListShards', mal('Shards'), t(1), w, [
        { atS: t(1) + 0.5, run: (c) => c.merge() },
      ]),
      // Every worker scans the table: a new worker must neither take nor drop anything on it.
      ...malformedWindow('without Items', 'dynamodb', 'Scan', mal('Items'), t(2), w, [
        { atS: t(2) + 0.5, run: (c) => c.startWorker('worker-4') },
      ]),
      // A shard end inside it: its children come without ParentShards.
      ...malformedWindow(
        'ChildShards without ParentShards',
        'kinesis',
        'GetRecords',
        mal('ParentShards'),
        t(3),
        w,
        [{ atS: t(3) + 0.5, run: (c) => c.split() }],
      ),
      // Every read answers a next iterator but no Records: nothing may be skipped.
      ...malformedWindow('without Records', 'kinesis', 'GetRecords', mal('Records'), t(4), w),
      ...malformedWindow(
        'without StreamDescriptionSummary',
        'kinesis',
        'DescribeStreamSummary',
        mal('StreamDescriptionSummary'),
        t(5),
        w,
        [{ atS: t(5) + 0.5, run: (c) => c.startWorker('worker-5') }],
      ),
      { atS: faultsEnd + 0.5, run: (c) => c.mark('after the malformed answers') },
    ],
  }
}

/** The scenarios of a run; `short` for CI; `intensity` scales the mixed scenario's fault rates. */
export function scenarios(short: boolean, intensity = 1): ScenarioDefinition[] {
  const list = [
    mixed(short, intensity),
    outages('outages', { dynamodb: 'refuse', kinesis: 'hang' }, short),
    malformed(short),
  ]
  if (!short)
    list.push(
      outages('outages-held', { dynamodb: 'hang', kinesis: 'reset' }, false),
      // 4 F: past the reader's 10 s request timeout, so a held GetRecords must time out.
      outages('outages-long', { dynamodb: 'refuse', kinesis: 'hang' }, false, (4 * F) / 1000),
    )
  return list
}
