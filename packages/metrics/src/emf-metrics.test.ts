import { Writable } from 'node:stream'
import { ManualClock, type Logger } from '@kine/core'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { EmfMetrics } from './emf-metrics.js'

const shard = { StreamName: 'orders', ShardId: 'shardId-000000000001', WorkerId: 'w1' }

function collector(): { output: Writable; lines: () => Record<string, unknown>[] } {
  const chunks: string[] = []
  const output = new Writable({
    write(chunk: Buffer, _encoding, done) {
      chunks.push(chunk.toString())
      done()
    },
  })
  const lines = () =>
    chunks
      .join('')
      .split('\n')
      .filter((l) => l !== '')
      .map((l) => JSON.parse(l) as Record<string, unknown>)
  return { output, lines }
}

describe('EmfMetrics', () => {
  afterEach(() => {
    vi.restoreAllMocks()
  })

  it('writes one aggregated EMF line per dimension set every interval', async () => {
    const { output, lines } = collector()
    const clock = new ManualClock()
    const metrics = new EmfMetrics({
      namespace: 'Orders',
      output,
      clock,
      dimensions: { App: 'billing' },
    })
    metrics.record('RecordsProcessed', 10, 'Count', shard)
    metrics.record('RecordsProcessed', 7, 'Count', { ...shard, ShardId: 'shardId-000000000002' })
    metrics.record('MillisBehindLatest', 0, 'Milliseconds', shard)
    metrics.record('LeasesHeld', 2, 'Count', shard)
    await clock.advance(59_999)
    expect(lines()).toEqual([])
    await clock.advance(1)
    expect(lines()).toEqual([
      {
        _aws: {
          Timestamp: clock.wallNow() - 60_000,
          CloudWatchMetrics: [
            {
              Namespace: 'Orders',
              Dimensions: [['App', 'StreamName']],
              Metrics: [
                { Name: 'RecordsProcessed', Unit: 'Count' },
                { Name: 'MillisBehindLatest', Unit: 'Milliseconds' },
              ],
            },
          ],
        },
        App: 'billing',
        StreamName: 'orders',
        RecordsProcessed: [10, 7],
        MillisBehindLatest: 0,
      },
      {
        _aws: {
          Timestamp: clock.wallNow() - 60_000,
          CloudWatchMetrics: [
            {
              Namespace: 'Orders',
              Dimensions: [['App', 'StreamName', 'WorkerId']],
              Metrics: [{ Name: 'LeasesHeld', Unit: 'Count' }],
            },
          ],
        },
        App: 'billing',
        StreamName: 'orders',
        WorkerId: 'w1',
        LeasesHeld: 2,
      },
    ])
    expect(metrics.stats()).toMatchObject({ recorded: 4, sent: 4, buffered: 0, requests: 2 })
    await metrics.close()
  })

  it('writes the mapbox/kine ShardIteratorAgeInMs with its dimensions when a stack is set', async () => {
    const { output, lines } = collector()
    const metrics = new EmfMetrics({
      namespace: 'Orders',
      output,
      level: 'none',
      mapboxKineStack: 'prod',
      clock: new ManualClock(),
    })
    metrics.record('ShardIteratorAgeInMs', 1500, 'Milliseconds', shard)
    await metrics.close()
    expect(lines()).toEqual([
      expect.objectContaining({
        DeliveryStream: 'orders',
        ShardId: 'shardId-000000000001',
        Stack: 'prod',
        ShardIteratorAgeInMs: 1500,
      }),
    ])
  })

  it('counts the values of a line the output refused, warns, and carries on', async () => {
    const warn = vi.fn()
    const noop = (): void => {}
    const logger: Logger = {
      trace: noop,
      debug: noop,
      info: noop,
      warn,
      error: noop,
      child: () => logger,
    }
    let fail = true
    const written: string[] = []
    const output = {
      write(text: string) {
        if (fail) throw new Error('EPIPE')
        written.push(text)
      },
    }
    const clock = new ManualClock()
    const metrics = new EmfMetrics({ namespace: 'Orders', output, logger, clock })
    metrics.record('Checkpoints', 1, 'Count', shard)
    metrics.record('Checkpoints', 1, 'Count', shard)
    await clock.advance(60_000)
    expect(metrics.stats()).toMatchObject({ recorded: 2, dropped: 2, sent: 0, failures: 1 })
    expect(warn).toHaveBeenCalledTimes(1)
    fail = false
    metrics.record('Checkpoints', 1, 'Count', shard)
    await metrics.close()
    expect(written).toHaveLength(1)
    expect(metrics.stats()).toMatchObject({ recorded: 3, dropped: 2, sent: 1 })
    expect(clock.pending).toBe(0)
  })

  it('writes to stdout by default', async () => {
    const write = vi.spyOn(process.stdout, 'write').mockImplementation(() => true)
    const metrics = new EmfMetrics({ namespace: 'Orders', clock: new ManualClock() })
    metrics.record('Sync.Created', 4, 'Count', shard)
    await metrics.flush()
    expect(write).toHaveBeenCalledTimes(1)
    expect(JSON.parse(String(write.mock.calls[0]![0]))).toMatchObject({
      'Sync.Created': 4,
      StreamName: 'orders',
    })
    await metrics.close()
  })

  it('refuses an output without write()', () => {
    expect(() => new EmfMetrics({ namespace: 'Orders', output: {} as never })).toThrow(/output/)
  })
})
