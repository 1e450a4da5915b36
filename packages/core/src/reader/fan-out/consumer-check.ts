// A ResourceNotFoundException from SubscribeToShard may mean the consumer is gone (deregistered),
// not the shard or the stream: retrying cannot fix that, so it is checked first, with
// DescribeStreamConsumer, before the shard list is consulted as for the polling reader.

import { DescribeStreamConsumerCommand, type KinesisClient } from '@aws-sdk/client-kinesis'
import { isResourceNotFoundError } from '../../aws-errors.js'
import { KineError } from '../../errors.js'
import type { FinalVerdict } from '../retry-policy.js'

/**
 * `fail` when the consumer is not registered (or is being deregistered), else undefined (the
 * consumer is fine: look at the shard). A failed check is undefined too: the shard check decides.
 */
export async function missingConsumerVerdict(
  client: KinesisClient,
  consumerARN: string,
  signal: AbortSignal,
  cause: unknown,
): Promise<FinalVerdict | undefined> {
  const detail = cause instanceof Error ? cause.message : String(cause)
  let status: string | undefined
  try {
    const output = await client.send(
      new DescribeStreamConsumerCommand({ ConsumerARN: consumerARN }),
      {
        abortSignal: signal,
      },
    )
    status = output.ConsumerDescription?.ConsumerStatus
  } catch (error) {
    if (!isResourceNotFoundError(error)) return undefined
    status = 'not registered'
  }
  if (status !== 'not registered' && status !== 'DELETING') return undefined
  return {
    action: 'fail',
    error: new KineError(
      'AWS_ERROR',
      `stream consumer ${consumerARN} is ${status === 'DELETING' ? 'being deregistered' : 'not registered'} (SubscribeToShard: ${detail})`,
      { cause },
    ),
  }
}
