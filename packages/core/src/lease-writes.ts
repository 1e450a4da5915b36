// Every write to the lease table, one builder per rule of the lease protocol
// (docs/lease-protocol.md), so the worker, Sync and the CLI send exactly the same fenced
// conditions. Each builder returns a complete command input and sends nothing: the caller owns the
// client, the retries and the meaning of a ConditionalCheckFailedException. Conditions are
// ConditionExpression only: dynalite evaluates the legacy `Expected` + `ConditionalOperator: OR`
// wrongly, and DynamoDB itself prefers expressions.

import type {
  AttributeValue,
  DeleteItemCommandInput,
  PutItemCommandInput,
  UpdateItemCommandInput,
} from '@aws-sdk/client-dynamodb'
import {
  LEASE_ATTRIBUTES,
  isSentinel,
  isSequenceNumber,
  leaseToItem,
  type Checkpoint,
  type Lease,
  type LeaseItem,
} from './lease-item.js'
import { OptionsValidator } from './validate.js'

const A = LEASE_ATTRIBUTES
const PENDING = [
  A.pendingCheckpoint,
  A.pendingCheckpointSubSequenceNumber,
  A.pendingCheckpointState,
]

/** A lease write by its holder, fenced on the counter the holder last wrote or read. */
interface HolderWriteParams {
  /** The shard id. */
  readonly leaseKey: string
  /** This worker's id; the write applies only while it is `leaseOwner`. */
  readonly owner: string
  /** The `leaseCounter` this worker holds the lease at; the write applies only if it is unchanged. */
  readonly counter: number
}

/** Parameters of {@link takeLeaseInput}. */
interface TakeLeaseParams {
  /** The shard id. */
  readonly leaseKey: string
  /** This worker's id, the new `leaseOwner`. */
  readonly owner: string
  /**
   * The `leaseCounter` seen when the lease was judged available (rule 3 of docs/lease-protocol.md).
   */
  readonly seenCounter: number
  /**
   * The `leaseOwner` seen with that counter.
   * @defaultValue undefined: the lease was seen free, and must still be
   */
  readonly seenOwner?: string
}

/** Parameters of {@link beginHandoffInput}. */
interface BeginHandoffParams {
  /** The shard id. */
  readonly leaseKey: string
  /** This worker (B), taking the lease over. */
  readonly newOwner: string
  /** The current holder (A), who may still write one checkpoint. */
  readonly previousOwner: string
  /** The `leaseCounter` seen with `previousOwner` holding the lease. */
  readonly seenCounter: number
}

/** Parameters of {@link handoffCheckpointInput}. */
interface HandoffCheckpointParams {
  /** The shard id. */
  readonly leaseKey: string
  /** This worker (A), named as `checkpointOwner` by the handoff. */
  readonly previousOwner: string
  /** The worker (B) the lease was handed to. */
  readonly newOwner: string
  /** The checkpoint: the last sequence number A's handler completed. */
  readonly checkpoint: Checkpoint
  /**
   * Position inside the KPL aggregate at `checkpoint`.
   * @defaultValue 0
   */
  readonly subSequenceNumber?: number
}

/** Parameters of {@link checkpointLeaseInput}. */
interface CheckpointLeaseParams extends HolderWriteParams {
  /**
   * The new checkpoint: a sequence number, or `SHARD_END` at the shard's end (rule 8 of
   * docs/lease-protocol.md).
   */
  readonly checkpoint: Checkpoint
  /**
   * Position inside the KPL aggregate at `checkpoint`.
   * @defaultValue 0
   */
  readonly subSequenceNumber?: number
}

/** Parameters of {@link linkChildrenInput}. */
interface LinkChildrenParams {
  /** The parent shard id. */
  readonly leaseKey: string
  /** Child shard ids to add to `childShardIds` (at least one). */
  readonly childShardIds: readonly string[]
}

/** Parameters of {@link linkParentsInput}. */
interface LinkParentsParams {
  /** The child shard id. */
  readonly leaseKey: string
  /** Parent shard ids to add to `parentShardId` (at least one). */
  readonly parentShardIds: readonly string[]
}

/** Names a lease only (Sync's writes, which no holder fences). */
interface LeaseKeyParams {
  /** The shard id. */
  readonly leaseKey: string
}

/**
 * A lease and the `kineShardAbsentSince` mark Sync read on it (rule 8 of docs/lease-protocol.md:
 * two listings agree).
 */
interface ShardAbsentParams extends LeaseKeyParams {
  /** The mark's value, epoch ms: the write applies only while the item still carries exactly it. */
  readonly shardAbsentSince: number
}

/** Parameters of {@link deleteFinishedLeaseInput}. */
interface DeleteFinishedLeaseParams extends LeaseKeyParams {
  /**
   * For a lease deleted because its shard is gone: the `kineShardAbsentSince` mark read on it;
   * the delete then applies only while the item still carries it.
   * @defaultValue undefined: no condition on the mark (a finished parent whose shard is listed)
   */
  readonly shardAbsentSince?: number
}

/**
 * Rules 8, 10 and 11 of docs/lease-protocol.md: creates a lease item (Sync for new shards, a worker
 * for children at a shard's end), only if no item has that `leaseKey`. A second create for the same
 * shard fails with `ConditionalCheckFailedException` and leaves the first item as it was; that
 * failure means "someone else created it" and is not an error for either caller.
 */
export function createLeaseInput(tableName: string, lease: Lease): PutItemCommandInput {
  checkParams('createLeaseInput', { tableName, leaseKey: lease.leaseKey })
  return {
    TableName: tableName,
    Item: leaseToItem(lease),
    ConditionExpression: 'attribute_not_exists(#leaseKey)',
    ExpressionAttributeNames: { '#leaseKey': A.leaseKey },
    ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
  }
}

/**
 * Rule 1 of docs/lease-protocol.md: renews a held lease, `leaseCounter + 1`, only while
 * `leaseOwner = owner` and `leaseCounter = counter`. On success the holder's counter is
 * `counter + 1`; `ALL_NEW` also shows whether a handoff's `checkpointOwner` is still there (rule
 * 4). On `ConditionalCheckFailedException` re-read the item: ours at `counter + 1` means an earlier
 * attempt applied; another owner with us as `checkpointOwner` means a handoff began; anything else
 * means the lease is lost.
 */
export function renewLeaseInput(
  tableName: string,
  params: HolderWriteParams,
): UpdateItemCommandInput {
  checkParams('renewLeaseInput', { tableName, ...params }, holderFields)
  const e = new Expression()
  return e.update(tableName, params.leaseKey, {
    update: `SET ${bump(e)}`,
    condition: holderCondition(e, params),
  })
}

/**
 * Rule 3 of docs/lease-protocol.md: takes an available lease, only if `leaseCounter` is still the
 * one seen and the owner is still the one seen (or the lease is still free). Sets
 * `leaseOwner = owner`, bumps the counter, removes any `checkpointOwner` (a handoff that never
 * finished), and counts an owner switch when the lease changes hands (not when it was free, nor
 * when this worker takes back its own lease), as the KCL does. `ALL_NEW` returns the item to start
 * from: its checkpoint may be newer than the one scanned, since a handoff checkpoint does not move
 * the counter.
 */
export function takeLeaseInput(tableName: string, params: TakeLeaseParams): UpdateItemCommandInput {
  checkParams('takeLeaseInput', { tableName, ...params }, (v) =>
    v
      .nonEmptyString('owner')
      .nonNegativeInteger('seenCounter')
      .nonEmptyString('seenOwner', { optional: true }),
  )
  const e = new Expression()
  const switched = params.seenOwner !== undefined && params.seenOwner !== params.owner
  const ownerCondition =
    params.seenOwner === undefined
      ? `attribute_not_exists(${e.name(A.leaseOwner)})`
      : `${e.name(A.leaseOwner)} = ${e.value('seenOwner', { S: params.seenOwner })}`
  return e.update(tableName, params.leaseKey, {
    update:
      `SET ${e.name(A.leaseOwner)} = ${e.value('owner', { S: params.owner })}, ${bump(e)}` +
      (switched ? ` ADD ${e.name(A.ownerSwitchesSinceCheckpoint)} ${one(e)}` : '') +
      ` REMOVE ${e.name(A.checkpointOwner)}`,
    condition:
      `${e.name(A.leaseCounter)} = ${e.value('seenCounter', { N: String(params.seenCounter) })}` +
      ` AND ${ownerCondition}`,
  })
}

/**
 * Rule 4 of docs/lease-protocol.md, first step: the new owner B takes a lease from A cooperatively.
 * Writes `leaseOwner = B`, `checkpointOwner = A`, `leaseCounter + 1` and counts an owner switch,
 * only if A still holds it at the counter seen and no handoff is under way. B then renews it as its
 * own (rule 1) but reads the shard only once `checkpointOwner` is gone, or after the handoff
 * timeout ({@link clearCheckpointOwnerInput}).
 */
export function beginHandoffInput(
  tableName: string,
  params: BeginHandoffParams,
): UpdateItemCommandInput {
  checkParams('beginHandoffInput', { tableName, ...params }, (v) =>
    v
      .nonEmptyString('newOwner')
      .nonEmptyString('previousOwner')
      .nonNegativeInteger('seenCounter')
      .check(params.newOwner !== params.previousOwner, 'newOwner: must differ from previousOwner'),
  )
  const e = new Expression()
  return e.update(tableName, params.leaseKey, {
    update:
      `SET ${e.name(A.leaseOwner)} = ${e.value('newOwner', { S: params.newOwner })}, ` +
      `${e.name(A.checkpointOwner)} = ${e.value('previousOwner', { S: params.previousOwner })}, ` +
      `${bump(e)} ADD ${e.name(A.ownerSwitchesSinceCheckpoint)} ${one(e)}`,
    condition:
      `${e.name(A.leaseOwner)} = ${e.value('previousOwner', { S: params.previousOwner })}` +
      ` AND ${e.name(A.leaseCounter)} = ${e.value('seenCounter', { N: String(params.seenCounter) })}` +
      ` AND attribute_not_exists(${e.name(A.checkpointOwner)})`,
  })
}

/**
 * Rule 4 of docs/lease-protocol.md, second step: the previous owner A writes its last checkpoint
 * and removes `checkpointOwner` in one write, only if `checkpointOwner = A AND leaseOwner = B`. It
 * leaves `leaseCounter` alone so B's renewals never fail because of A, and fails once B has removed
 * `checkpointOwner` itself (a late write from A). Like every checkpoint it resets
 * `ownerSwitchesSinceCheckpoint` and drops any KCL pending (two-phase) checkpoint it supersedes.
 */
export function handoffCheckpointInput(
  tableName: string,
  params: HandoffCheckpointParams,
): UpdateItemCommandInput {
  checkParams('handoffCheckpointInput', { tableName, ...params }, (v) =>
    checkpointFields(v).nonEmptyString('previousOwner').nonEmptyString('newOwner'),
  )
  const e = new Expression()
  return e.update(
    tableName,
    params.leaseKey,
    {
      update:
        `SET ${checkpointSet(e, params.checkpoint, params.subSequenceNumber)}` +
        ` REMOVE ${[A.checkpointOwner, ...PENDING].map((n) => e.name(n)).join(', ')}`,
      condition:
        `${e.name(A.checkpointOwner)} = ${e.value('previousOwner', { S: params.previousOwner })}` +
        ` AND ${e.name(A.leaseOwner)} = ${e.value('newOwner', { S: params.newOwner })}`,
    },
    'NONE',
  )
}

/**
 * Rule 4 of docs/lease-protocol.md, last step when A is late: the new owner B removes
 * `checkpointOwner` itself once the handoff timeout has passed, conditional on holding the lease at
 * its own counter, which it bumps (the write doubles as a renewal). Any handoff checkpoint from A
 * fails after this. `ALL_NEW` carries the checkpoint to start reading from.
 */
export function clearCheckpointOwnerInput(
  tableName: string,
  params: HolderWriteParams,
): UpdateItemCommandInput {
  checkParams('clearCheckpointOwnerInput', { tableName, ...params }, holderFields)
  const e = new Expression()
  return e.update(tableName, params.leaseKey, {
    update: `SET ${bump(e)} REMOVE ${e.name(A.checkpointOwner)}`,
    condition: holderCondition(e, params),
  })
}

/**
 * Rule 6 of docs/lease-protocol.md (and rule 8 with `SHARD_END`): the holder checkpoints, only
 * while `leaseOwner = owner AND leaseCounter = counter`. Sets `checkpoint` and
 * `checkpointSubSequenceNumber`, resets `ownerSwitchesSinceCheckpoint` to 0, removes any KCL
 * pending (two-phase) checkpoint it supersedes, and bumps the counter: a checkpoint is also a
 * renewal. That it never moves backwards is the caller's duty (DynamoDB cannot compare sequence
 * numbers).
 */
export function checkpointLeaseInput(
  tableName: string,
  params: CheckpointLeaseParams,
): UpdateItemCommandInput {
  checkParams('checkpointLeaseInput', { tableName, ...params }, (v) =>
    checkpointFields(holderFields(v)),
  )
  const e = new Expression()
  return e.update(tableName, params.leaseKey, {
    update:
      `SET ${checkpointSet(e, params.checkpoint, params.subSequenceNumber)}, ${bump(e)}` +
      ` REMOVE ${PENDING.map((n) => e.name(n)).join(', ')}`,
    condition: holderCondition(e, params),
  })
}

/**
 * Rule 5 of docs/lease-protocol.md (and rule 8 after `SHARD_END`): the holder gives the lease up,
 * only while `leaseOwner = owner AND leaseCounter = counter`. Removes `leaseOwner` and
 * `checkpointOwner` and bumps the counter, so another worker takes it at its next scan instead of
 * after expiry.
 */
export function releaseLeaseInput(
  tableName: string,
  params: HolderWriteParams,
): UpdateItemCommandInput {
  checkParams('releaseLeaseInput', { tableName, ...params }, holderFields)
  const e = new Expression()
  return e.update(
    tableName,
    params.leaseKey,
    {
      update: `SET ${bump(e)} REMOVE ${e.name(A.leaseOwner)}, ${e.name(A.checkpointOwner)}`,
      condition: holderCondition(e, params),
    },
    'NONE',
  )
}

/**
 * Rule 8 and "Who writes what" of docs/lease-protocol.md: records a shard's children on its lease
 * by adding them to the `childShardIds` set, only if the lease exists. It touches nothing a holder
 * owns (not even the counter), so it can never make a holder's renewal or checkpoint fail; adding
 * is idempotent.
 */
export function linkChildrenInput(
  tableName: string,
  params: LinkChildrenParams,
): UpdateItemCommandInput {
  checkParams('linkChildrenInput', { tableName, ...params }, (v) =>
    v.stringArray('childShardIds', { minLength: 1 }),
  )
  return addToSet(tableName, params.leaseKey, A.childShardIds, params.childShardIds)
}

/**
 * "Who writes what" (docs/lease-protocol.md): records a shard's parents on its lease by adding them
 * to the `parentShardId` set, only if the lease exists; like {@link linkChildrenInput} it touches
 * nothing a holder owns.
 */
export function linkParentsInput(
  tableName: string,
  params: LinkParentsParams,
): UpdateItemCommandInput {
  checkParams('linkParentsInput', { tableName, ...params }, (v) =>
    v.stringArray('parentShardIds', { minLength: 1 }),
  )
  return addToSet(tableName, params.leaseKey, A.parentShardIds, params.parentShardIds)
}

/**
 * Rule 8 of docs/lease-protocol.md, first sighting: Sync records on the lease that its shard is
 * missing from a complete listing (`kineShardAbsentSince`, an attribute the KCL ignores), only if
 * the item exists and has no such mark yet. It touches nothing a holder owns (not the counter), so
 * no holder write fails.
 */
export function markShardAbsentInput(
  tableName: string,
  params: ShardAbsentParams,
): UpdateItemCommandInput {
  checkParams('markShardAbsentInput', { tableName, ...params }, absentFields)
  const e = new Expression()
  return e.update(
    tableName,
    params.leaseKey,
    {
      update: `SET ${e.name(A.shardAbsentSince)} = ${e.value('since', { N: String(params.shardAbsentSince) })}`,
      condition:
        `attribute_exists(${e.name(A.leaseKey)})` +
        ` AND attribute_not_exists(${e.name(A.shardAbsentSince)})`,
    },
    'NONE',
  )
}

/**
 * Rule 8 of docs/lease-protocol.md: Sync removes the absence mark once a listing shows the shard
 * again, only if the item still carries the mark it read (so a newer mark is not lost). Touches
 * nothing a holder owns.
 */
export function clearShardAbsentInput(
  tableName: string,
  params: ShardAbsentParams,
): UpdateItemCommandInput {
  checkParams('clearShardAbsentInput', { tableName, ...params }, absentFields)
  const e = new Expression()
  return e.update(
    tableName,
    params.leaseKey,
    {
      update: `REMOVE ${e.name(A.shardAbsentSince)}`,
      condition: absentCondition(e, params.shardAbsentSince),
    },
    'NONE',
  )
}

/**
 * Rule 8 of docs/lease-protocol.md, Sync's one write to a checkpoint: ends the lease of a shard
 * that has aged out of the stream, only if nobody holds it, it is not already at `SHARD_END`, and
 * it still carries the absence mark Sync read (the first of the two complete listings that must
 * agree the shard is gone; a Sync that saw the shard again has removed it). Sets
 * `checkpoint = SHARD_END` (sub-sequence 0) and bumps the counter: no holder exists to be
 * disturbed, and a worker that saw the lease free a moment ago then fails its take instead of
 * taking a finished lease.
 */
export function endUnheldLeaseInput(
  tableName: string,
  params: ShardAbsentParams,
): UpdateItemCommandInput {
  checkParams('endUnheldLeaseInput', { tableName, ...params }, absentFields)
  const e = new Expression()
  return e.update(
    tableName,
    params.leaseKey,
    {
      update:
        `SET ${e.name(A.checkpoint)} = ${e.value('shardEnd', { S: 'SHARD_END' })}, ` +
        `${e.name(A.checkpointSubSequenceNumber)} = ${e.value('zero', { N: '0' })}, ${bump(e)}`,
      // attribute_exists: an UpdateItem would otherwise create the item, and `<>` is true for a
      // missing attribute.
      condition:
        `attribute_exists(${e.name(A.leaseKey)})` +
        ` AND attribute_not_exists(${e.name(A.leaseOwner)})` +
        ` AND ${e.name(A.checkpoint)} <> ${e.value('shardEnd', { S: 'SHARD_END' })}` +
        ` AND ${absentCondition(e, params.shardAbsentSince)}`,
    },
    'NONE',
  )
}

/**
 * Rules 8 and 11 of docs/lease-protocol.md: Sync deletes a lease it has proven finished (after its
 * grace period), only if it is at `SHARD_END` and nobody holds it, and, for a lease deleted because
 * its shard is gone, only if it still carries the absence mark Sync read.
 */
export function deleteFinishedLeaseInput(
  tableName: string,
  params: DeleteFinishedLeaseParams,
): DeleteItemCommandInput {
  checkParams('deleteFinishedLeaseInput', { tableName, ...params }, (v) =>
    v.nonNegativeInteger('shardAbsentSince', { optional: true }),
  )
  const e = new Expression()
  const condition =
    `${e.name(A.checkpoint)} = ${e.value('shardEnd', { S: 'SHARD_END' })}` +
    ` AND attribute_not_exists(${e.name(A.leaseOwner)})` +
    (params.shardAbsentSince === undefined
      ? ''
      : ` AND ${absentCondition(e, params.shardAbsentSince)}`)
  return {
    TableName: tableName,
    Key: { [A.leaseKey]: { S: params.leaseKey } },
    ConditionExpression: condition,
    ExpressionAttributeNames: e.names,
    ExpressionAttributeValues: e.values,
    ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
  }
}

/**
 * True when `error` is DynamoDB's `ConditionalCheckFailedException`: the write's condition did not
 * hold and nothing was written. Checked by name, so it works across SDK copies and versions.
 */
export function isConditionalCheckFailed(error: unknown): boolean {
  return (
    typeof error === 'object' &&
    error !== null &&
    (error as { name?: unknown }).name === 'ConditionalCheckFailedException'
  )
}

/**
 * The item as it was when a write's condition failed, if DynamoDB returned it (the builders ask
 * for it with `ReturnValuesOnConditionCheckFailure: ALL_OLD`); `undefined` otherwise, including
 * when no item exists and on engines that ignore the parameter (dynalite): then read it with
 * GetItem (consistent read).
 */
export function conditionFailedItem(error: unknown): LeaseItem | undefined {
  if (!isConditionalCheckFailed(error)) return undefined
  const item = (error as { Item?: unknown }).Item
  return typeof item === 'object' && item !== null ? (item as LeaseItem) : undefined
}

// ---- internals ----

type Validator = OptionsValidator

function checkParams(
  builder: string,
  params: Readonly<Record<string, unknown>>,
  more: (v: Validator) => Validator = (v) => v,
): void {
  more(
    new OptionsValidator(`${builder} parameters`, params)
      .nonEmptyString('tableName')
      .nonEmptyString('leaseKey'),
  ).throwIfInvalid()
}

function holderFields(v: Validator): Validator {
  return v.nonEmptyString('owner').nonNegativeInteger('counter')
}

function absentFields(v: Validator): Validator {
  return v.nonNegativeInteger('shardAbsentSince')
}

function absentCondition(e: Expression, since: number): string {
  return `${e.name(A.shardAbsentSince)} = ${e.value('since', { N: String(since) })}`
}

function checkpointFields(v: Validator): Validator {
  const checkpoint = v.value('checkpoint')
  return v
    .nonEmptyString('checkpoint')
    .check(
      typeof checkpoint !== 'string' ||
        checkpoint === '' ||
        isSequenceNumber(checkpoint) ||
        isSentinel(checkpoint),
      `checkpoint: ${JSON.stringify(checkpoint)} is neither a sequence number nor a sentinel`,
    )
    .nonNegativeInteger('subSequenceNumber', { optional: true })
}

/** Collects placeholders for one expression, so each name and value is declared exactly once. */
class Expression {
  readonly names: Record<string, string> = {}
  readonly values: Record<string, AttributeValue> = {}

  name(attribute: string): string {
    const placeholder = `#${attribute}`
    this.names[placeholder] = attribute
    return placeholder
  }

  value(label: string, value: AttributeValue): string {
    const placeholder = `:${label}`
    this.values[placeholder] = value
    return placeholder
  }

  update(
    tableName: string,
    leaseKey: string,
    parts: { update: string; condition: string },
    returnValues: 'ALL_NEW' | 'NONE' = 'ALL_NEW',
  ): UpdateItemCommandInput {
    return {
      TableName: tableName,
      Key: { [A.leaseKey]: { S: leaseKey } },
      UpdateExpression: parts.update,
      ConditionExpression: parts.condition,
      ExpressionAttributeNames: this.names,
      ExpressionAttributeValues: this.values,
      ...(returnValues === 'NONE' ? {} : { ReturnValues: returnValues }),
      ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
    }
  }
}

function one(e: Expression): string {
  return e.value('one', { N: '1' })
}

function bump(e: Expression): string {
  const counter = e.name(A.leaseCounter)
  return `${counter} = ${counter} + ${one(e)}`
}

function holderCondition(e: Expression, params: HolderWriteParams): string {
  return (
    `${e.name(A.leaseOwner)} = ${e.value('owner', { S: params.owner })}` +
    ` AND ${e.name(A.leaseCounter)} = ${e.value('counter', { N: String(params.counter) })}`
  )
}

function checkpointSet(e: Expression, checkpoint: Checkpoint, subSequenceNumber = 0): string {
  return (
    `${e.name(A.checkpoint)} = ${e.value('checkpoint', { S: checkpoint })}, ` +
    `${e.name(A.checkpointSubSequenceNumber)} = ${e.value('subSequenceNumber', { N: String(subSequenceNumber) })}, ` +
    `${e.name(A.ownerSwitchesSinceCheckpoint)} = ${e.value('zero', { N: '0' })}`
  )
}

function addToSet(
  tableName: string,
  leaseKey: string,
  attribute: string,
  ids: readonly string[],
): UpdateItemCommandInput {
  const e = new Expression()
  return e.update(
    tableName,
    leaseKey,
    {
      update: `ADD ${e.name(attribute)} ${e.value('ids', { SS: [...new Set(ids)] })}`,
      condition: `attribute_exists(${e.name(A.leaseKey)})`,
    },
    'NONE',
  )
}
