// The deterministic world the lease-rule tests run in: one ManualClock, the in-memory Kinesis and
// lease table of @kine/core/testing, real Consumers (and Sync) on top, and a seeded random. Time
// moves only when a test steps it, in small increments, with every pending promise settled between
// steps, so each rule of docs/lease-protocol.md can be driven step by step without real time.
//
// Each worker reaches the shared table and stream through its own link, a thin wrapper that can
// cut it off (as a partition or a crash would), make its calls hang, or lose the response of its
// next write after the write applied; the wrapper also records every call it sent and when.

import type { DynamoDBClient } from '@aws-sdk/client-dynamodb'
import type { KinesisClient } from '@aws-sdk/client-kinesis'
import { ManualClock, type Clock, type KineRecord, type Lease } from '@kine/core'
import { leaseFromItem } from '@kine/core/lease-table'
import { InMemoryDynamoDB, InMemoryKinesis } from '@kine/core/testing'
import { Sync } from '@kine/sync'
import { GetItemCommand, ScanCommand } from '@aws-sdk/client-dynamodb'
import { setImmediate as drain } from 'node:timers/promises'
import { Consumer, type ConsumerEvents, type ConsumerOptions } from '../../src/index.js'

/** Lease duration F of every test worker. */
export const F = 1_000
/** The clock step: small against F, so every timer fires within a step of when it is due. */
export const STEP = 10
export const STREAM = 'orders'
export const TABLE = 'orders-leases'

/** One call a worker sent, as its link saw it. */
export interface SentCall {
  readonly at: number
  readonly operation: string
  readonly shardId: string | undefined
  readonly input: Record<string, unknown>
}

/** One record a handler completed, in completion order. */
export interface Delivery {
  readonly worker: string
  readonly shardId: string
  readonly data: string
  readonly sequenceNumber: string
  readonly at: number
}

/** One event a worker emitted. */
export interface SeenEvent {
  readonly at: number
  readonly name: keyof ConsumerEvents
  readonly payload: Record<string, unknown>
}

type LinkState = 'up' | 'down' | 'hang'

/** A worker's way to the shared table and stream, with switches for faults. */
class Link {
  dynamo: LinkState = 'up'
  kinesis: LinkState = 'up'
  readonly sent: SentCall[] = []
  /** Calls that applied but whose response this link lost. */
  readonly lost: SentCall[] = []
  #loseNext: { shardId: string; match: (input: Record<string, unknown>) => boolean } | undefined

  constructor(
    private readonly world: World,
    readonly worker: string,
  ) {}

  /**
   * The next UpdateItem this worker sends for `shardId` (that `match` accepts) applies, but its
   * response is lost.
   */
  loseNextWriteResponse(
    shardId: string,
    match: (input: Record<string, unknown>) => boolean = () => true,
  ): void {
    this.#loseNext = { shardId, match }
  }

  dynamodbClient(): DynamoDBClient {
    return this.#client('dynamo', (c, o) => this.world.table.send(c as never, o)) as DynamoDBClient
  }

  kinesisClient(): KinesisClient {
    return this.#client('kinesis', (c, o) =>
      this.world.kinesis.send(c as never, o),
    ) as KinesisClient
  }

  #client(
    which: 'dynamo' | 'kinesis',
    send: (command: object, options?: { abortSignal?: AbortSignal }) => Promise<unknown>,
  ): unknown {
    return {
      send: async (command: object, options?: { abortSignal?: AbortSignal }): Promise<unknown> => {
        const input = (command as { input: Record<string, unknown> }).input
        const operation = command.constructor.name.replace(/Command$/, '')
        const key = (input.Key as { leaseKey?: { S?: string } } | undefined)?.leaseKey?.S
        const shardId = key ?? (input.ShardId as string | undefined)
        this.sent.push({ at: this.world.clock.now(), operation, shardId, input })
        const state = which === 'dynamo' ? this.dynamo : this.kinesis
        if (state === 'down') {
          await Promise.resolve()
          throw Object.assign(new Error('connect ECONNREFUSED (test: link down)'), {
            code: 'ECONNREFUSED',
          })
        }
        if (state === 'hang') {
          return new Promise((_resolve, reject) => {
            options?.abortSignal?.addEventListener('abort', () => {
              reject(Object.assign(new Error('aborted (test: link hangs)'), { name: 'AbortError' }))
            })
          })
        }
        if (
          which === 'dynamo' &&
          operation === 'UpdateItem' &&
          this.#loseNext !== undefined &&
          this.#loseNext.shardId === shardId &&
          this.#loseNext.match(input)
        ) {
          this.#loseNext = undefined
          this.lost.push({ at: this.world.clock.now(), operation, shardId, input })
          await send(command, options).catch(() => {})
          throw Object.assign(new Error('socket hang up (test: response lost)'), {
            code: 'ECONNRESET',
          })
        }
        return send(command, options)
      },
    }
  }
}

/** A Consumer in the world, with its link, events and deliveries. */
export class TestWorker {
  readonly consumer: Consumer
  readonly link: Link
  readonly events: SeenEvent[] = []
  #started: Promise<void> | undefined

  constructor(
    readonly world: World,
    readonly id: string,
    options: Partial<ConsumerOptions>,
    clock: Clock,
  ) {
    this.link = new Link(world, id)
    this.consumer = new Consumer({
      streamName: STREAM,
      tableName: TABLE,
      kinesis: this.link.kinesisClient(),
      dynamodb: this.link.dynamodbClient(),
      workerId: id,
      leaseDurationMs: F,
      limits: 'unlimited',
      idleWaitMs: 50,
      handlerRetryBaseDelayMs: 100,
      handlerRetryMaxDelayMs: 400,
      clock,
      random: world.random,
      processRecords: (records) => world.record(id, records),
      ...options,
    })
    const names: (keyof ConsumerEvents)[] = [
      'leaseTaken',
      'leaseLost',
      'leaseReleased',
      'shardEnded',
      'handlerError',
      'checkpoint',
      'error',
    ]
    for (const name of names) {
      this.consumer.on(name, (payload) => {
        this.events.push({ at: world.clock.now(), name, payload: { ...payload } })
      })
    }
  }

  /** Starts the Consumer, stepping time until it is running. */
  async start(): Promise<void> {
    this.#started = this.consumer.start()
    await this.world.settle(this.#started)
  }

  /** Stops the Consumer, stepping time until it has stopped. */
  async stop(): Promise<void> {
    await this.world.settle(this.consumer.stop())
  }

  /** Shard ids held now. */
  held(): string[] {
    return this.consumer
      .leases()
      .map((l) => l.shardId)
      .sort()
  }

  /** The events named `name`, in order. */
  seen<E extends keyof ConsumerEvents>(name: E): (ConsumerEvents[E] & { at: number })[] {
    return this.events
      .filter((e) => e.name === name)
      .map((e) => ({ ...(e.payload as ConsumerEvents[E]), at: e.at }))
  }

  /** When this worker asked for an iterator of `shardId`: each time it started reading it. */
  reads(shardId: string): number[] {
    return this.link.sent
      .filter((c) => c.operation === 'GetShardIterator' && c.shardId === shardId)
      .map((c) => c.at)
  }

  /** Writes (UpdateItem, PutItem, DeleteItem) this worker sent for `shardId` at or after `from`. */
  writes(shardId: string, from = 0): SentCall[] {
    return this.link.sent.filter(
      (c) =>
        c.shardId === shardId &&
        c.at >= from &&
        ['UpdateItem', 'PutItem', 'DeleteItem'].includes(c.operation),
    )
  }
}

/** True for a write that sets the checkpoint. */
export function setsCheckpoint(input: Record<string, unknown>): boolean {
  const names = (input.ExpressionAttributeNames ?? {}) as Record<string, string>
  return Object.values(names).includes('checkpoint')
}

/** A seeded random in [0, 1) (mulberry32), so jitter and take order repeat run after run. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

/**
 * A clock that reads `offsetMs` ahead of `base` (and its wall clock `wallSkewMs` off) but
 * sleeps on it: another host's clock, which agrees on durations only.
 */
export function skewedClock(base: ManualClock, offsetMs: number, wallSkewMs: number): Clock {
  return {
    now: () => base.now() + offsetMs,
    wallNow: () => base.wallNow() + wallSkewMs,
    sleep: (ms, signal) => base.sleep(ms, signal),
  }
}

export class World {
  readonly clock = new ManualClock(1_000)
  readonly kinesis = new InMemoryKinesis({ clock: this.clock })
  readonly table = new InMemoryDynamoDB()
  readonly random = seededRandom(12_345)
  readonly deliveries: Delivery[] = []
  readonly workers: TestWorker[] = []
  /** While set, every handler call waits for it (a batch in flight). */
  gate: Promise<void> | undefined
  #nextData = 0

  constructor(shards = 1) {
    this.kinesis.createStream(STREAM, shards)
  }

  /** Shard `i`'s id. */
  static shard(i: number): string {
    return `shardId-${String(i).padStart(12, '0')}`
  }

  /** One Sync pass (creating the table and the missing leases) through the in-memory clients. */
  async sync(): Promise<void> {
    const sync = new Sync({
      streamName: STREAM,
      tableName: TABLE,
      kinesis: this.kinesis.asClient(),
      dynamodb: this.table.asClient(),
      initialPosition: 'TRIM_HORIZON',
      clock: this.clock,
      random: this.random,
    })
    await this.settle(sync.init().then(() => sync.syncOnce()))
  }

  /** Puts `count` records into `shardId`; returns their data strings. */
  put(shardId: string, count: number): string[] {
    const data: string[] = []
    for (let i = 0; i < count; i++) {
      const d = `r${++this.#nextData}`
      this.kinesis.putRecord(STREAM, d, { shardId })
      data.push(d)
    }
    return data
  }

  /** Adds a worker (not started). */
  worker(id: string, options: Partial<ConsumerOptions> = {}, clock?: Clock): TestWorker {
    const w = new TestWorker(this, id, options, clock ?? this.clock)
    this.workers.push(w)
    return w
  }

  /** The default handler: waits for the gate, then records what it completed. */
  async record(worker: string, records: readonly KineRecord[]): Promise<void> {
    if (this.gate !== undefined) await this.gate
    for (const r of records) {
      this.deliveries.push({
        worker,
        shardId: r.shardId,
        data: new TextDecoder().decode(r.data),
        sequenceNumber: r.sequenceNumber,
        at: this.clock.now(),
      })
    }
  }

  /** Holds every handler call until the returned function is called. */
  hold(): () => void {
    let open!: () => void
    this.gate = new Promise<void>((resolve) => {
      open = () => {
        this.gate = undefined
        resolve()
      }
    })
    return open
  }

  /** Data delivered for `shardId`, in completion order (by `worker` if given). */
  delivered(shardId: string, worker?: string): string[] {
    return this.deliveries
      .filter((d) => d.shardId === shardId && (worker === undefined || d.worker === worker))
      .map((d) => d.data)
  }

  /** Lets every pending promise and I/O callback run, without moving time. */
  async flush(): Promise<void> {
    for (let i = 0; i < 3; i++) await drain()
  }

  /** Moves time forward by `ms`, one step at a time, settling everything after each step. */
  async run(ms: number, each?: () => void): Promise<void> {
    const end = this.clock.now() + ms
    while (this.clock.now() < end) {
      await this.clock.advance(Math.min(STEP, end - this.clock.now()))
      await this.flush()
      each?.()
    }
  }

  /** Steps time until `condition` holds; fails after `maxMs` of simulated time. */
  async until(condition: () => boolean, maxMs = 20 * F, what = 'condition'): Promise<void> {
    await this.flush()
    const end = this.clock.now() + maxMs
    while (!condition()) {
      if (this.clock.now() >= end) throw new Error(`${what} not reached within ${maxMs} ms`)
      await this.clock.advance(STEP)
      await this.flush()
    }
  }

  /** Steps time until `promise` settles; returns its value. */
  async settle<T>(promise: Promise<T>, maxMs = 60 * F): Promise<T> {
    let done = false
    const tracked = promise.finally(() => {
      done = true
    })
    tracked.catch(() => {})
    await this.until(() => done, maxMs, 'settling')
    return tracked
  }

  /** The lease item as stored now. */
  async lease(shardId: string): Promise<Lease | undefined> {
    const out = await this.table.send(
      new GetItemCommand({ TableName: TABLE, Key: { leaseKey: { S: shardId } } }),
    )
    return out.Item === undefined ? undefined : leaseFromItem(out.Item)
  }

  /** Every lease item as stored now, by shard id. */
  async leases(): Promise<Map<string, Lease>> {
    const out = await this.table.send(new ScanCommand({ TableName: TABLE }))
    return new Map((out.Items ?? []).map((i) => [i.leaseKey?.S ?? '?', leaseFromItem(i)]))
  }

  /** Stops every started worker still running. */
  async stopAll(): Promise<void> {
    await this.settle(Promise.all(this.workers.map((w) => w.consumer.stop())))
  }
}
