// Consumer registration against kinesis-local, whose consumers stay CREATING for
// REGISTER_STREAM_CONSUMER_DURATION (set here so the wait for ACTIVE is exercised) and which
// refuses a name already taken with ResourceInUseException, as Kinesis does.
import { DescribeStreamSummaryCommand, type KinesisClient } from '@aws-sdk/client-kinesis'
import { createStream, kinesisClient, startKinesis, type LocalKinesis } from '@kine-tools/local'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { KineError } from '../src/errors.js'
import {
  deregisterStreamConsumer,
  ensureStreamConsumer,
  listStreamConsumers,
} from '../src/stream-consumers.js'

let kinesis: LocalKinesis
let client: KinesisClient
let streams = 0

beforeAll(async () => {
  kinesis = await startKinesis({
    durations: {
      REGISTER_STREAM_CONSUMER_DURATION: '1s',
      DEREGISTER_STREAM_CONSUMER_DURATION: '200ms',
    },
  })
  client = kinesisClient(kinesis.endpoint)
})
afterAll(async () => {
  client?.destroy()
  await kinesis?.stop()
})

async function newStreamARN(): Promise<string> {
  const stream = `consumers-${process.pid}-${++streams}`
  await createStream(client, stream, 1)
  const summary = await client.send(new DescribeStreamSummaryCommand({ StreamName: stream }))
  return summary.StreamDescriptionSummary?.StreamARN ?? ''
}

describe('stream consumers on kinesis-local', () => {
  it('registers once when many workers ensure the same consumer at once, each getting it ACTIVE', async () => {
    const streamARN = await newStreamARN()
    const results = await Promise.all(
      Array.from({ length: 8 }, () =>
        ensureStreamConsumer(client, { streamARN, consumerName: 'app', pollIntervalMs: 100 }),
      ),
    )
    expect(results.every((r) => r.status === 'ACTIVE')).toBe(true)
    expect(new Set(results.map((r) => r.consumerARN)).size).toBe(1)
    expect(results.filter((r) => r.registered)).toHaveLength(1)
    const listed = await listStreamConsumers(client, { streamARN })
    expect(listed.map((c) => [c.consumerName, c.status])).toEqual([['app', 'ACTIVE']])
  })

  it('finds an existing consumer without registering again', async () => {
    const streamARN = await newStreamARN()
    const first = await ensureStreamConsumer(client, {
      streamARN,
      consumerName: 'app',
      pollIntervalMs: 100,
    })
    const again = await ensureStreamConsumer(client, { streamARN, consumerName: 'app' })
    expect(first.registered).toBe(true)
    expect(again).toMatchObject({ consumerARN: first.consumerARN, registered: false })
  })

  it('deregisters by name, and says when there was nothing to deregister', async () => {
    const streamARN = await newStreamARN()
    await ensureStreamConsumer(client, { streamARN, consumerName: 'gone', pollIntervalMs: 100 })
    await ensureStreamConsumer(client, { streamARN, consumerName: 'kept', pollIntervalMs: 100 })
    expect(await deregisterStreamConsumer(client, { streamARN, consumerName: 'gone' })).toBe(true)
    let names: string[] = []
    for (let i = 0; i < 50; i++) {
      names = (await listStreamConsumers(client, { streamARN })).map((c) => c.consumerName)
      if (!names.includes('gone')) break
      await new Promise((r) => setTimeout(r, 100))
    }
    expect(names).toEqual(['kept'])
    expect(await deregisterStreamConsumer(client, { streamARN, consumerName: 'gone' })).toBe(false)
  })

  it('fails with STREAM_NOT_FOUND for a stream that does not exist', async () => {
    const streamARN = (await newStreamARN()).replace(/stream\/.*$/, 'stream/no-such-stream')
    const error = await ensureStreamConsumer(client, { streamARN, consumerName: 'app' }).catch(
      (e: unknown) => e,
    )
    expect(error).toBeInstanceOf(KineError)
    expect((error as KineError).code).toBe('STREAM_NOT_FOUND')
  })

  it('says the stream has no room when Kinesis refuses another consumer, with those it has', async () => {
    const streamARN = await newStreamARN()
    const full: string[] = []
    for (let i = 0; ; i++) {
      const name = `c${i}`
      const outcome = await ensureStreamConsumer(client, {
        streamARN,
        consumerName: name,
        pollIntervalMs: 100,
        maxAttempts: 3,
      }).catch((e: unknown) => e)
      if (outcome instanceof Error) {
        expect(outcome).toBeInstanceOf(KineError)
        expect(outcome.message).toContain('no room for another consumer')
        expect(outcome.message).toContain('LimitExceededException')
        expect(outcome.message).toContain(`${full.length} registered`)
        break
      }
      full.push(name)
      expect(full.length, 'kinesis-local refuses a consumer at some count').toBeLessThan(50)
    }
    expect((await listStreamConsumers(client, { streamARN })).length).toBe(full.length)
    // Each registration waits a second for ACTIVE here: allow for twenty or so.
  }, 150_000)
})
