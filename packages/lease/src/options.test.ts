import type { DynamoDBClient } from '@aws-sdk/client-dynamodb'
import type { KinesisClient } from '@aws-sdk/client-kinesis'
import { describe, expect, it } from 'vitest'
import { resolveOptions, type ConsumerOptions } from './options.js'

// Option checks only: the clients are never called, so stand-ins with a `send` method do.
const client = { send: () => Promise.resolve({}) }
const base: ConsumerOptions = {
  streamName: 'orders',
  tableName: 'orders-app',
  kinesis: client as unknown as KinesisClient,
  dynamodb: client as unknown as DynamoDBClient,
  processRecords: () => {},
}

describe('Consumer options', () => {
  it('refuses a handoff timeout shorter than the lease duration (the old owner could still be reading)', () => {
    expect(() =>
      resolveOptions({ ...base, leaseDurationMs: 6_000, handoffTimeoutMs: 2_000 }),
    ).toThrow(/handoffTimeoutMs: must be at least leaseDurationMs \(6000\)/)
    expect(() => resolveOptions({ ...base, handoffTimeoutMs: 0 })).toThrow(/handoffTimeoutMs/)
    expect(
      resolveOptions({ ...base, leaseDurationMs: 6_000, handoffTimeoutMs: 9_000 }).handoffTimeoutMs,
    ).toBe(9_000)
    expect(resolveOptions({ ...base, leaseDurationMs: 6_000 }).handoffTimeoutMs).toBe(6_000)
  })
})
