// @kine/core/lease-table: the parts of the lease protocol (docs/lease-protocol.md) and the shared
// plumbing that kine's own packages and tools use: the item codec, one fenced write per rule, the
// pure lease logic (fair share, parent gating, liveness judged on the local clock), the options
// validator and the AWS error helpers. For kine's packages and tools, not a stable user API: it
// changes with them. Applications use the root export, `@kine/core`.
export {
  LeaseWatch,
  planLeases,
  parentsFinished,
  type PlanInput,
  type LeasePlan,
} from './lease-plan.js'
export {
  leaseFromItem,
  leaseToItem,
  isSentinel,
  isSequenceNumber,
  isLeaseFinished,
  type LeaseItem,
} from '../lease-item.js'
export {
  createLeaseInput,
  renewLeaseInput,
  takeLeaseInput,
  beginHandoffInput,
  handoffCheckpointInput,
  clearCheckpointOwnerInput,
  checkpointLeaseInput,
  releaseLeaseInput,
  linkChildrenInput,
  linkParentsInput,
  endUnheldLeaseInput,
  deleteFinishedLeaseInput,
  markShardAbsentInput,
  clearShardAbsentInput,
  isConditionalCheckFailed,
  conditionFailedItem,
} from '../lease-writes.js'
export { OptionsValidator } from '../validate.js'
export { awsErrorName, isRetryableAwsError, toKineError } from '../aws-errors.js'
export { isInitialPosition, initialSentinel, type InitialSentinel } from '../initial-position.js'
export { backoffDelay } from '../backoff.js'
export { backgroundClock, abortReason } from '../clock.js'
export { raceAbort, withDeadline } from '../abort.js'
export { sendOptions } from '../send-options.js'
export { MAX_HASH_KEY, parseHashKey } from '../hash-key.js'
export { deaggregateInto } from '../kpl-deaggregate.js'
