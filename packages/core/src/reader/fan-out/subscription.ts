// One SubscribeToShard call and its event stream, pulled one event at a time: nothing is read from
// the connection until the reader asks for the next event, so a busy caller holds back the stream
// (the SDK's decoder, the socket's buffers and the transport's flow control) instead of filling
// memory. Closing it aborts the request, which closes the connection (HTTP/1.1) or the stream
// (HTTP/2), so Kinesis can release the consumer's slot on the shard.

import {
  SubscribeToShardCommand,
  type KinesisClient,
  type StartingPosition,
  type SubscribeToShardEvent,
  type SubscribeToShardEventStream,
} from '@aws-sdk/client-kinesis'
import { withDeadline } from '../../abort.js'
import { abortReason, type Clock } from '../../clock.js'

/** What opening a subscription needs. */
export interface SubscribeParams {
  readonly client: KinesisClient
  readonly consumerARN: string
  readonly shardId: string
  readonly startingPosition: StartingPosition
  readonly clock: Clock
  /** How long SubscribeToShard may take to answer. */
  readonly requestTimeoutMs: number
  /** How long to wait for each event. */
  readonly eventTimeoutMs: number
  /** The reader's signal: its abort closes the subscription. */
  readonly signal: AbortSignal | undefined
}

/** An open subscription. */
export interface Subscription {
  /**
   * The next event of the stream, or undefined once the stream has ended (a subscription lasts
   * at most 5 minutes). Rejects with the stream's error (an exception event, a broken connection,
   * a `TIMEOUT` when no event came in time).
   */
  next(): Promise<StreamEvent | undefined>
  /** Closes the subscription; safe to call more than once. */
  close(): void
}

/**
 * One event of the stream: a `SubscribeToShardEvent`, or undefined when the event carried none
 * (an unknown event type, which the reader treats as malformed).
 */
export interface StreamEvent {
  readonly event: SubscribeToShardEvent | undefined
}

/** Calls SubscribeToShard and returns the open subscription. */
export async function subscribe(params: SubscribeParams): Promise<Subscription> {
  const { client, clock, signal } = params
  const controller = new AbortController()
  const onAbort = (): void => controller.abort(abortReason(signal))
  if (signal?.aborted) onAbort()
  else signal?.addEventListener('abort', onAbort, { once: true })
  const close = (): void => {
    signal?.removeEventListener('abort', onAbort)
    if (!controller.signal.aborted) controller.abort(new Error('subscription closed'))
  }

  const command = new SubscribeToShardCommand({
    ConsumerARN: params.consumerARN,
    ShardId: params.shardId,
    StartingPosition: params.startingPosition,
  })
  let events: AsyncIterator<SubscribeToShardEventStream>
  try {
    // The request lives as long as the subscription: it gets the subscription's signal, not the
    // deadline's, which only bounds the wait for the answer.
    const output = await withDeadline(
      {
        clock,
        timeoutMs: params.requestTimeoutMs,
        what: 'SubscribeToShard',
        signal: controller.signal,
      },
      () => client.send(command, { abortSignal: controller.signal }),
    )
    if (output.EventStream === undefined) {
      close()
      return ended(close)
    }
    events = output.EventStream[Symbol.asyncIterator]()
  } catch (error) {
    close()
    throw error
  }

  return {
    next: async () => {
      const step = await withDeadline(
        {
          clock,
          timeoutMs: params.eventTimeoutMs,
          what: 'a SubscribeToShard event',
          signal: controller.signal,
        },
        () => events.next(),
      )
      if (step.done === true) return undefined
      const member = step.value
      const thrown = exceptionOf(member)
      if (thrown !== undefined) throw thrown
      return { event: member.SubscribeToShardEvent }
    },
    close,
  }
}

/** A subscription whose stream has already ended. */
function ended(close: () => void): Subscription {
  return { next: () => Promise.resolve(undefined), close }
}

/** An exception carried as a member of the event union (the SDK usually throws those itself). */
function exceptionOf(member: SubscribeToShardEventStream): Error | undefined {
  for (const [key, value] of Object.entries(member)) {
    if (key !== 'SubscribeToShardEvent' && value instanceof Error) return value
  }
  return undefined
}
