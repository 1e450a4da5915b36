// Test doubles for the shard reader's unit tests: an in-memory shard that speaks GetShardIterator,
// GetRecords and ListShards, served either by a fake KinesisClient (`send` only: it does not run
// the command's middleware) or by a fake HTTP handler inside a real KinesisClient (the full SDK
// stack runs, its retries included). Faults are injected per call; time comes from a ManualClock.

import {
  ExpiredIteratorException,
  GetRecordsCommand,
  GetShardIteratorCommand,
  KinesisClient,
  ListShardsCommand,
  type KinesisClientConfig,
  type ChildShard,
  type Shard,
  type _Record,
} from '@aws-sdk/client-kinesis'
import type { Clock } from '../src/clock.js'
import type { Logger } from '../src/logger.js'

/** One call the fake served, for assertions. */
export interface FakeCall {
  readonly op: 'GetShardIterator' | 'GetRecords' | 'ListShards'
  /** Clock time the call (or attempt) reached the fake. */
  readonly at: number
  readonly input: Record<string, unknown>
  /** Attempts the call stands for (more than 1 when a fault says the SDK retried inside it). */
  readonly attempts: number
}

/** A fault for the next call of one operation. */
export type FakeFault =
  | { readonly error: Error }
  | { readonly hang: true }
  /**
   * Replace fields of the real output (e.g. `{ Records: undefined }` for a malformed response,
   * `{ Shards: [...], NextToken: 't' }` for a ListShards page).
   */
  | { readonly patch: Readonly<Record<string, unknown>> }
  /** Report that the SDK made this many attempts for the (successful) call. */
  | { readonly attempts: number }
  /** The HTTP body is cut in half (real SDK client only): the SDK cannot parse it. */
  | { readonly truncate: true }

const ITERATOR_LIFETIME_MS = 300_000

/** An in-memory shard. Sequence numbers are 21-digit strings, growing by 10 per record. */
export class FakeShard {
  readonly shardId: string
  readonly clock: Clock
  readonly records: _Record[] = []
  readonly calls: FakeCall[] = []
  /** Closed: the end is reached once every record has been read. */
  closed = false
  /** Sent as `ChildShards` in the final response (Kinesis); undefined: none sent (kinesalite). */
  childShards: ChildShard[] | undefined
  /** What ListShards returns. */
  shards: Shard[] = []
  /** kinesalite's way: the end comes only with an empty response after the last record. */
  endNeedsEmptyRead = false
  /** MillisBehindLatest when records remain past the response. */
  behindMs = 5_000
  readonly #faults = new Map<FakeCall['op'], FakeFault[]>()
  #nextSeq = 100_000_000_000_000_000_000n

  constructor(shardId: string, clock: Clock) {
    this.shardId = shardId
    this.clock = clock
  }

  /** Appends records; returns their sequence numbers. */
  put(...items: { data: Uint8Array | string; partitionKey?: string }[]): string[] {
    return items.map((item) => {
      this.#nextSeq += 10n
      const sequenceNumber = this.#nextSeq.toString()
      this.records.push({
        Data: typeof item.data === 'string' ? new TextEncoder().encode(item.data) : item.data,
        PartitionKey: item.partitionKey ?? 'pk',
        SequenceNumber: sequenceNumber,
        ApproximateArrivalTimestamp: new Date(this.clock.wallNow()),
      })
      return sequenceNumber
    })
  }

  /** Puts `n` records with data `r0`, `r1`, ... (continuing from what is there). */
  putMany(n: number, size = 0): string[] {
    const start = this.records.length
    return this.put(
      ...Array.from({ length: n }, (_, i) => ({
        data: size > 0 ? new Uint8Array(size).fill(i % 251) : `r${start + i}`,
      })),
    )
  }

  /** Queues `fault` for the next call of `op` (faults apply in order, one per call). */
  inject(op: FakeCall['op'], ...faults: FakeFault[]): void {
    this.#faults.set(op, [...(this.#faults.get(op) ?? []), ...faults])
  }

  count(op: FakeCall['op']): number {
    return this.calls.filter((c) => c.op === op).length
  }

  /** The time of every attempt of `op` (a call standing for k attempts counts k times). */
  attemptTimes(op: FakeCall['op']): number[] {
    return this.calls
      .filter((c) => c.op === op)
      .flatMap((c) => Array<number>(c.attempts).fill(c.at))
  }

  #takeFault(op: FakeCall['op']): FakeFault | undefined {
    return this.#faults.get(op)?.shift()
  }

  /** Serves one call; rejects like the SDK would. `signal` aborts a hanging call. */
  async serve(
    op: FakeCall['op'],
    input: Record<string, unknown>,
    signal: AbortSignal | undefined,
  ): Promise<Record<string, unknown>> {
    const fault = this.#takeFault(op)
    const attempts = fault !== undefined && 'attempts' in fault ? fault.attempts : 1
    this.calls.push({ op, at: this.clock.now(), input, attempts })
    if (fault !== undefined && 'error' in fault) throw fault.error
    if (fault !== undefined && 'hang' in fault) return hang(signal)
    let output: Record<string, unknown>
    switch (op) {
      case 'GetShardIterator':
        output = { ShardIterator: this.#iteratorFor(input) }
        break
      case 'GetRecords':
        output = this.#getRecords(input)
        break
      case 'ListShards':
        output = { Shards: this.shards }
        break
    }
    if (fault !== undefined && 'patch' in fault) output = { ...output, ...fault.patch }
    if (fault !== undefined && 'truncate' in fault) output = { ...output, $truncate: true }
    return { ...output, $metadata: { httpStatusCode: 200, attempts, totalRetryDelay: 0 } }
  }

  #iteratorFor(input: Record<string, unknown>): string {
    const type = input.ShardIteratorType as string
    const seq = input.StartingSequenceNumber as string | undefined
    let index: number
    switch (type) {
      case 'TRIM_HORIZON':
        index = 0
        break
      case 'LATEST':
        index = this.records.length
        break
      case 'AT_SEQUENCE_NUMBER':
        index = this.#firstIndex((s) => s >= BigInt(seq as string))
        break
      case 'AFTER_SEQUENCE_NUMBER':
        index = this.#firstIndex((s) => s > BigInt(seq as string))
        break
      case 'AT_TIMESTAMP': {
        const ts = (input.Timestamp as Date).getTime()
        index = this.records.findIndex(
          (r) => (r.ApproximateArrivalTimestamp as Date).getTime() >= ts,
        )
        if (index === -1) index = this.records.length
        break
      }
      default:
        throw new Error(`fake: iterator type ${type}`)
    }
    return `it/${index}/${this.clock.now()}`
  }

  #firstIndex(test: (seq: bigint) => boolean): number {
    const i = this.records.findIndex((r) => test(BigInt(r.SequenceNumber as string)))
    return i === -1 ? this.records.length : i
  }

  #getRecords(input: Record<string, unknown>): Record<string, unknown> {
    const [, index, issued] = String(input.ShardIterator).split('/').map(Number) as [
      number,
      number,
      number,
    ]
    if (this.clock.now() - issued > ITERATOR_LIFETIME_MS) {
      throw new ExpiredIteratorException({
        message: 'Iterator expired.',
        $metadata: { httpStatusCode: 400, attempts: 1 },
      })
    }
    const limit = (input.Limit as number | undefined) ?? 10_000
    const page = this.records.slice(index, index + limit)
    const next = index + page.length
    const atEnd = next >= this.records.length
    const ended = this.closed && atEnd && (!this.endNeedsEmptyRead || page.length === 0)
    return {
      Records: page,
      MillisBehindLatest: atEnd ? 0 : this.behindMs,
      ...(ended ? {} : { NextShardIterator: `it/${next}/${this.clock.now()}` }),
      ...(ended && this.childShards !== undefined ? { ChildShards: this.childShards } : {}),
    }
  }
}

function hang(signal: AbortSignal | undefined): Promise<never> {
  return new Promise((_, reject) => {
    signal?.addEventListener(
      'abort',
      () => reject(Object.assign(new Error('Request aborted'), { name: 'AbortError' })),
      { once: true },
    )
  })
}

function opOf(command: unknown): FakeCall['op'] {
  if (command instanceof GetRecordsCommand) return 'GetRecords'
  if (command instanceof GetShardIteratorCommand) return 'GetShardIterator'
  if (command instanceof ListShardsCommand) return 'ListShards'
  throw new Error(`fake: unexpected command ${String((command as object).constructor.name)}`)
}

/**
 * A fake KinesisClient: only `send`, served from `shard`. It does not run the command's
 * middleware, so SDK retries exist only as `$metadata.attempts` (a fault `{ attempts }`).
 */
export function fakeClient(shard: FakeShard): KinesisClient {
  const client = {
    send: (command: { input: Record<string, unknown> }, options?: { abortSignal?: AbortSignal }) =>
      shard.serve(opOf(command), command.input, options?.abortSignal),
  }
  return client as unknown as KinesisClient
}

/**
 * A real KinesisClient whose HTTP handler is served from `shard` (no sockets): the SDK's whole
 * stack runs, serialisation, retries and parsing included. Its retry strategy retries throttles,
 * 5xx and transient errors up to `maxAttempts` with no delay (so tests need no real time).
 */
export function sdkClient(shard: FakeShard, maxAttempts = 3): KinesisClient {
  return new KinesisClient({
    region: 'us-east-1',
    endpoint: 'http://127.0.0.1:9',
    credentials: { accessKeyId: 'kine-test', secretAccessKey: 'kine-test' },
    maxAttempts,
    retryStrategy: noDelayRetryStrategy(maxAttempts),
    requestHandler: new FakeHttpHandler(shard),
  })
}

type RetryStrategy = NonNullable<KinesisClientConfig['retryStrategy']>

function noDelayRetryStrategy(maxAttempts: number): RetryStrategy {
  const token = (count: number) => ({
    getRetryCount: () => count,
    getRetryDelay: () => 0,
    getRetryTokenCount: () => 1,
  })
  return {
    mode: 'standard',
    acquireInitialRetryToken: () => Promise.resolve(token(0)),
    refreshRetryTokenForRetry: (
      previous: { getRetryCount(): number },
      info: { errorType: string },
    ) => {
      const next = previous.getRetryCount() + 1
      if (info.errorType === 'CLIENT_ERROR' || next >= maxAttempts)
        return Promise.reject(new Error('no more retries'))
      return Promise.resolve(token(next))
    },
    recordSuccess: () => {},
  }
}

interface FakeHttpRequest {
  headers: Record<string, string>
  body?: unknown
}

/** Serves AWS JSON 1.1 Kinesis requests from a FakeShard, as an HTTP handler would. */
class FakeHttpHandler {
  readonly #shard: FakeShard
  constructor(shard: FakeShard) {
    this.#shard = shard
  }

  async handle(
    request: FakeHttpRequest,
    options: { abortSignal?: unknown } = {},
  ): Promise<{
    response: { statusCode: number; headers: Record<string, string>; body: Uint8Array }
  }> {
    const target = request.headers['x-amz-target'] ?? ''
    const op = target.slice(target.indexOf('.') + 1) as FakeCall['op']
    const body =
      request.body instanceof Uint8Array
        ? new TextDecoder().decode(request.body)
        : String(request.body)
    const input = JSON.parse(body) as Record<string, unknown>
    if (typeof input.Timestamp === 'number') input.Timestamp = new Date(input.Timestamp * 1000)
    try {
      const {
        $metadata: _m,
        $truncate,
        ...output
      } = await this.#shard.serve(op, input, options.abortSignal as AbortSignal | undefined)
      const response = json(200, toWire(output))
      if ($truncate === true)
        response.response.body = response.response.body.subarray(
          0,
          response.response.body.length >> 1,
        )
      return response
    } catch (error) {
      const e = error as Error & { $metadata?: { httpStatusCode?: number } }
      if (e.name === 'AbortError') throw e
      const status = e.$metadata?.httpStatusCode ?? 400
      return json(status, { __type: e.name, message: e.message })
    }
  }

  updateHttpClientConfig(): void {}
  httpHandlerConfigs(): Record<string, never> {
    return {}
  }
  destroy(): void {}
}

function toWire(output: Record<string, unknown>): Record<string, unknown> {
  const records = output.Records as _Record[] | undefined
  if (records === undefined) return output
  return {
    ...output,
    Records: records.map((r) => ({
      Data: Buffer.from(r.Data as Uint8Array).toString('base64'),
      PartitionKey: r.PartitionKey,
      SequenceNumber: r.SequenceNumber,
      ApproximateArrivalTimestamp: (r.ApproximateArrivalTimestamp as Date).getTime() / 1000,
    })),
  }
}

function json(statusCode: number, body: unknown) {
  return {
    response: {
      statusCode,
      headers: { 'content-type': 'application/x-amz-json-1.1', 'x-amzn-requestid': 'fake' },
      body: Buffer.from(JSON.stringify(body)),
    },
  }
}

/** An SDK-style service error: `name`, `$fault`, `$metadata` (as the SDK builds them). */
export function serviceError(name: string, status = 400, message = name): Error {
  return Object.assign(new Error(message), {
    name,
    $fault: status >= 500 ? 'server' : 'client',
    $metadata: { httpStatusCode: status, attempts: 1 },
  })
}

/** Lets real I/O callbacks and SDK promise chains run (ManualClock.advance only drains microtasks). */
export async function settle(turns = 5): Promise<void> {
  for (let i = 0; i < turns; i++) await new Promise<void>((resolve) => setImmediate(resolve))
}

/**
 * The most of `times` (sorted or not) inside any half-open window [t, t + windowMs). Times a
 * nanosecond short of a full window apart count as a window apart (floating-point sums).
 */
export function maxInWindow(times: readonly number[], windowMs = 1000): number {
  const sorted = [...times].sort((a, b) => a - b)
  let best = 0
  let start = 0
  for (let end = 0; end < sorted.length; end++) {
    while ((sorted[end] as number) - (sorted[start] as number) >= windowMs - 1e-6) start++
    best = Math.max(best, end - start + 1)
  }
  return best
}

/** One line a {@link recordingLogger} received: its level, message and fields (bindings merged in). */
export interface LoggedLine {
  readonly level: 'trace' | 'debug' | 'info' | 'warn' | 'error'
  readonly message: string | undefined
  readonly fields: Record<string, unknown>
}

/** A Logger that keeps every line, child bindings merged into the fields (as pino prints them). */
export function recordingLogger(
  lines: LoggedLine[] = [],
  bindings: Record<string, unknown> = {},
): Logger & { readonly lines: LoggedLine[] } {
  const at =
    (level: LoggedLine['level']) =>
    (fieldsOrMessage: Record<string, unknown> | string, message?: string): void => {
      if (typeof fieldsOrMessage === 'string')
        lines.push({ level, message: fieldsOrMessage, fields: { ...bindings } })
      else lines.push({ level, message, fields: { ...bindings, ...fieldsOrMessage } })
    }
  return {
    lines,
    trace: at('trace'),
    debug: at('debug'),
    info: at('info'),
    warn: at('warn'),
    error: at('error'),
    child: (more) => recordingLogger(lines, { ...bindings, ...more }),
  }
}
