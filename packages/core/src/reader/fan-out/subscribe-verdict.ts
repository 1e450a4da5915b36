// The fan-out reader's verdict on a failure of SubscribeToShard or of its event stream. Two names
// mean "wait and subscribe again" here although elsewhere they do not: ResourceInUseException
// (another subscription of this consumer to this shard is still open, e.g. the previous owner's
// after a handoff, or our own closed one not yet released) and InternalFailureException (a
// stream error event). LimitExceededException (over one subscription per second) is a throttle
// already; everything else is classified as for the polling reader.

import { awsErrorName } from '../../aws-errors.js'
import { KineError } from '../../errors.js'
import type { ReadRecovery } from '../read-recovery.js'
import type { ReadVerdict } from '../retry-policy.js'

const SUBSCRIBE_AGAIN: ReadonlySet<string> = new Set([
  'ResourceInUseException',
  'InternalFailureException',
])

/** What to do about `error`, raised by SubscribeToShard or while its events were read. */
export function subscribeVerdict(error: unknown, recovery: ReadRecovery): ReadVerdict {
  const verdict = recovery.classify(error)
  if (verdict.action !== 'fail' || !SUBSCRIBE_AGAIN.has(awsErrorName(error))) return verdict
  const detail = error instanceof Error ? error.message : String(error)
  return {
    action: 'retry',
    throttled: false,
    error: new KineError(
      'TRANSIENT',
      `SubscribeToShard on ${recovery.what()}: ${awsErrorName(error)}: ${detail}`,
      { cause: error },
    ),
  }
}
