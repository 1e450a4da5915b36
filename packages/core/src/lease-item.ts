// The lease item as kine and the Java KCL 2.x both store it, and its codec to and from DynamoDB
// AttributeValue maps. Names and types follow the KCL's DynamoDBLeaseSerializer exactly, so either
// can take over a table the other wrote; attributes kine does not know are carried through untouched.

import type { AttributeValue } from '@aws-sdk/client-dynamodb'
import { KineError } from './errors.js'
import { parseHashKey } from './hash-key.js'
import { isSequenceNumber, type RecordPosition } from './sequence-number.js'

export { isSequenceNumber }

/** The positions a checkpoint can name instead of a sequence number (the KCL's sentinels). */
export type CheckpointSentinel = 'TRIM_HORIZON' | 'LATEST' | 'AT_TIMESTAMP' | 'SHARD_END'

/** Every checkpoint sentinel, in no particular order. */
export const CHECKPOINT_SENTINELS: readonly CheckpointSentinel[] = Object.freeze([
  'TRIM_HORIZON',
  'LATEST',
  'AT_TIMESTAMP',
  'SHARD_END',
] as const)

/**
 * A checkpoint: a Kinesis sequence number (a decimal string, up to 128 bits) or a sentinel.
 * (`string & {}` keeps editor completion for the sentinels while accepting any sequence number.)
 */
export type Checkpoint = CheckpointSentinel | (string & {})

/**
 * One lease: a shard, who holds it and how far it has been processed.
 *
 * `leaseCounter` is a `number`, not a `bigint`: it grows by one per renewal (every F/3, 3.3 s by
 * default), about 10 million a year, so 2^53 is hundreds of millions of years away; a `number`
 * also survives `JSON.stringify` (logs, `kine leases --json`), where a `bigint` throws. The codec
 * refuses a counter beyond `Number.MAX_SAFE_INTEGER` rather than rounding it, so fencing can
 * never compare against a wrong value.
 */
export interface Lease {
  /** The shard id; the table's hash key. */
  readonly leaseKey: string
  /** Worker id of the holder; absent when the lease is free. */
  readonly leaseOwner?: string
  /** Bumped by every renewal, take, checkpoint and release; the fencing token of every holder write. */
  readonly leaseCounter: number
  /** Where processing resumes: a sequence number, or a sentinel (`SHARD_END` once the shard is done). */
  readonly checkpoint: Checkpoint
  /** Position inside a KPL aggregate at `checkpoint`; 0 for a record that was not aggregated. */
  readonly checkpointSubSequenceNumber: number
  /** How often the lease changed hands since its last checkpoint. */
  readonly ownerSwitchesSinceCheckpoint: number
  /** Parent shard ids (two after a merge); empty for a shard with no parent lease (`parentShardId` SS). */
  readonly parentShardIds: readonly string[]
  /** Child shard ids, known once the shard ended; empty before. */
  readonly childShardIds: readonly string[]
  /** Lowest hash key of the shard's range (a decimal string). */
  readonly startingHashKey?: string
  /** Highest hash key of the shard's range (a decimal string). */
  readonly endingHashKey?: string
  /**
   * During a cooperative handoff: the previous owner, still allowed one checkpoint write (rule 4 of
   * docs/lease-protocol.md).
   */
  readonly checkpointOwner?: string
  /** A KCL two-phase checkpoint that was prepared but not committed; kine reads it, never writes one. */
  readonly pendingCheckpoint?: Checkpoint
  /** Sub-sequence number of `pendingCheckpoint`. */
  readonly pendingCheckpointSubSequenceNumber?: number
  /** The application state a KCL worker stored with its prepared checkpoint (opaque bytes). */
  readonly pendingCheckpointState?: Uint8Array
  /**
   * kine only (`kineShardAbsentSince`, N; a KCL worker ignores it): when Sync first saw the shard
   * missing from a complete listing, epoch ms on that Sync's wall clock. Sync ends or deletes a
   * lease because its shard is gone only once a later complete listing confirms the absence.
   */
  readonly shardAbsentSince?: number
  /**
   * Attributes kine does not know (written by a newer KCL or another tool), kept verbatim so that
   * writing the lease back loses nothing. Absent when there are none.
   */
  readonly extraAttributes?: Readonly<Record<string, AttributeValue>>
}

/** A DynamoDB item as the SDK's low-level client reads and writes it. */
export type LeaseItem = Record<string, AttributeValue>

/** The lease-table attribute names (the KCL's). */
export const LEASE_ATTRIBUTES: {
  readonly leaseKey: 'leaseKey'
  readonly leaseOwner: 'leaseOwner'
  readonly leaseCounter: 'leaseCounter'
  readonly checkpoint: 'checkpoint'
  readonly checkpointSubSequenceNumber: 'checkpointSubSequenceNumber'
  readonly ownerSwitchesSinceCheckpoint: 'ownerSwitchesSinceCheckpoint'
  readonly parentShardIds: 'parentShardId'
  readonly childShardIds: 'childShardIds'
  readonly startingHashKey: 'startingHashKey'
  readonly endingHashKey: 'endingHashKey'
  readonly checkpointOwner: 'checkpointOwner'
  readonly pendingCheckpoint: 'pendingCheckpoint'
  readonly pendingCheckpointSubSequenceNumber: 'pendingCheckpointSubSequenceNumber'
  readonly pendingCheckpointState: 'pendingCheckpointState'
  readonly shardAbsentSince: 'kineShardAbsentSince'
} = Object.freeze({
  leaseKey: 'leaseKey',
  leaseOwner: 'leaseOwner',
  leaseCounter: 'leaseCounter',
  checkpoint: 'checkpoint',
  checkpointSubSequenceNumber: 'checkpointSubSequenceNumber',
  ownerSwitchesSinceCheckpoint: 'ownerSwitchesSinceCheckpoint',
  parentShardIds: 'parentShardId',
  childShardIds: 'childShardIds',
  startingHashKey: 'startingHashKey',
  endingHashKey: 'endingHashKey',
  checkpointOwner: 'checkpointOwner',
  pendingCheckpoint: 'pendingCheckpoint',
  pendingCheckpointSubSequenceNumber: 'pendingCheckpointSubSequenceNumber',
  pendingCheckpointState: 'pendingCheckpointState',
  shardAbsentSince: 'kineShardAbsentSince',
} as const)

const KNOWN_ATTRIBUTES: ReadonlySet<string> = new Set(Object.values(LEASE_ATTRIBUTES))

/**
 * A lease item kine cannot read (or a lease it cannot write). A worker skips such an item with a
 * warning instead of stopping; `problems` lists everything wrong with it, not only the first thing.
 */
export class InvalidLeaseItemError extends KineError {
  override readonly name: string = 'InvalidLeaseItemError'
  declare readonly code: 'INVALID_LEASE_ITEM'
  /** The item's `leaseKey`, when it had a readable one. */
  readonly leaseKey: string | undefined
  readonly problems: readonly string[]

  constructor(leaseKey: string | undefined, problems: readonly string[]) {
    super(
      'INVALID_LEASE_ITEM',
      `invalid lease item${leaseKey === undefined ? '' : ` ${JSON.stringify(leaseKey)}`}:\n${problems
        .map((p) => `  - ${p}`)
        .join('\n')}`,
    )
    this.leaseKey = leaseKey
    this.problems = problems
  }
}

const INTEGER = /^\d+$/

/** True for a checkpoint sentinel (`TRIM_HORIZON`, `LATEST`, `AT_TIMESTAMP`, `SHARD_END`). */
export function isSentinel(checkpoint: string): checkpoint is CheckpointSentinel {
  return (CHECKPOINT_SENTINELS as readonly string[]).includes(checkpoint)
}

/** True when the lease's shard has been processed to its end (checkpoint `SHARD_END`). */
export function isLeaseFinished(lease: Pick<Lease, 'checkpoint'>): boolean {
  return lease.checkpoint === 'SHARD_END'
}

/**
 * The lease's checkpoint as a record position, to resume `AT_SEQUENCE_NUMBER` and drop what is not
 * after it (rule 7 of docs/lease-protocol.md); `undefined` when the checkpoint is a sentinel.
 */
export function checkpointPosition(
  lease: Pick<Lease, 'checkpoint' | 'checkpointSubSequenceNumber'>,
): RecordPosition | undefined {
  if (!isSequenceNumber(lease.checkpoint)) return undefined
  return {
    sequenceNumber: lease.checkpoint,
    subSequenceNumber: lease.checkpointSubSequenceNumber,
  }
}

/**
 * Reads a lease from an item as GetItem/Scan return it.
 *
 * `leaseKey`, `leaseCounter` and `checkpoint` are required. `checkpointSubSequenceNumber` and
 * `ownerSwitchesSinceCheckpoint` read as 0 when absent (the KCL always writes them; an item made by
 * hand may not). Absent sets read as empty arrays; other absent attributes stay absent.
 *
 * @throws {@link InvalidLeaseItemError} listing every problem, for an item that is not a lease.
 */
export function leaseFromItem(item: Readonly<LeaseItem>): Lease {
  const problems: string[] = []
  if (typeof item !== 'object' || item === null || Array.isArray(item)) {
    throw new InvalidLeaseItemError(undefined, ['the item is not an attribute map'])
  }
  const reader = new ItemReader(item, problems)
  const A = LEASE_ATTRIBUTES

  const leaseKey = reader.string(A.leaseKey, true)
  if (leaseKey === '') problems.push(`${A.leaseKey}: empty string`)
  const leaseOwner = reader.string(A.leaseOwner, false)
  // An empty owner is neither free nor anyone's: no take condition, renewal or release fits it.
  if (leaseOwner === '') problems.push(`${A.leaseOwner}: empty string (absent means free)`)
  const leaseCounter = reader.integer(A.leaseCounter, true)
  const checkpoint = reader.checkpoint(A.checkpoint, true)
  const checkpointSubSequenceNumber = reader.integer(A.checkpointSubSequenceNumber, false)
  const ownerSwitchesSinceCheckpoint = reader.integer(A.ownerSwitchesSinceCheckpoint, false)
  const parentShardIds = reader.stringSet(A.parentShardIds)
  const childShardIds = reader.stringSet(A.childShardIds)
  const startingHashKey = reader.string(A.startingHashKey, false)
  const endingHashKey = reader.string(A.endingHashKey, false)
  const checkpointOwner = reader.string(A.checkpointOwner, false)
  if (checkpointOwner === '') problems.push(`${A.checkpointOwner}: empty string`)
  const pendingCheckpoint = reader.checkpoint(A.pendingCheckpoint, false)
  const pendingCheckpointSubSequenceNumber = reader.integer(
    A.pendingCheckpointSubSequenceNumber,
    false,
  )
  const pendingCheckpointState = reader.bytes(A.pendingCheckpointState)
  const shardAbsentSince = reader.integer(A.shardAbsentSince, false)
  problems.push(...hashKeyProblems(startingHashKey, endingHashKey))
  if (leaseKey !== undefined && leaseKey !== '') {
    // A lease that is its own parent would wait for itself forever.
    if (parentShardIds.includes(leaseKey))
      problems.push(`${A.parentShardIds}: names the lease itself`)
    if (childShardIds.includes(leaseKey))
      problems.push(`${A.childShardIds}: names the lease itself`)
  }

  if (problems.length > 0 || leaseKey === undefined || leaseCounter === undefined) {
    throw new InvalidLeaseItemError(leaseKey || undefined, problems)
  }

  const extra: Record<string, AttributeValue> = {}
  let hasExtra = false
  for (const [name, value] of Object.entries(item)) {
    if (!KNOWN_ATTRIBUTES.has(name)) {
      extra[name] = value
      hasExtra = true
    }
  }

  return {
    leaseKey,
    ...(leaseOwner === undefined ? {} : { leaseOwner }),
    leaseCounter,
    checkpoint: checkpoint ?? 'TRIM_HORIZON', // unreachable: a missing checkpoint is a problem above
    checkpointSubSequenceNumber: checkpointSubSequenceNumber ?? 0,
    ownerSwitchesSinceCheckpoint: ownerSwitchesSinceCheckpoint ?? 0,
    parentShardIds,
    childShardIds,
    ...(startingHashKey === undefined ? {} : { startingHashKey }),
    ...(endingHashKey === undefined ? {} : { endingHashKey }),
    ...(checkpointOwner === undefined ? {} : { checkpointOwner }),
    ...(pendingCheckpoint === undefined ? {} : { pendingCheckpoint }),
    ...(pendingCheckpointSubSequenceNumber === undefined
      ? {}
      : { pendingCheckpointSubSequenceNumber }),
    ...(pendingCheckpointState === undefined ? {} : { pendingCheckpointState }),
    ...(shardAbsentSince === undefined ? {} : { shardAbsentSince }),
    ...(hasExtra ? { extraAttributes: extra } : {}),
  }
}

/**
 * Writes a lease as an item, with the KCL's names and types. Sets are left out when empty
 * (DynamoDB refuses empty sets) and deduplicated; absent optional fields are left out;
 * `extraAttributes` are copied through verbatim.
 *
 * @throws {@link InvalidLeaseItemError} for a lease that would make an unreadable item
 *   (a counter that is not a safe non-negative integer, a checkpoint that is neither a sequence
 *   number nor a sentinel, an extra attribute that shadows a lease attribute, ...).
 */
export function leaseToItem(lease: Lease): LeaseItem {
  const problems = leaseProblems(lease)
  if (problems.length > 0) {
    throw new InvalidLeaseItemError(
      typeof lease.leaseKey === 'string' && lease.leaseKey !== '' ? lease.leaseKey : undefined,
      problems,
    )
  }
  const A = LEASE_ATTRIBUTES
  const item: LeaseItem = { ...lease.extraAttributes }
  item[A.leaseKey] = { S: lease.leaseKey }
  if (lease.leaseOwner !== undefined) item[A.leaseOwner] = { S: lease.leaseOwner }
  item[A.leaseCounter] = { N: String(lease.leaseCounter) }
  item[A.checkpoint] = { S: lease.checkpoint }
  item[A.checkpointSubSequenceNumber] = { N: String(lease.checkpointSubSequenceNumber) }
  item[A.ownerSwitchesSinceCheckpoint] = { N: String(lease.ownerSwitchesSinceCheckpoint) }
  if (lease.parentShardIds.length > 0) {
    item[A.parentShardIds] = { SS: [...new Set(lease.parentShardIds)] }
  }
  if (lease.childShardIds.length > 0) {
    item[A.childShardIds] = { SS: [...new Set(lease.childShardIds)] }
  }
  if (lease.startingHashKey !== undefined) item[A.startingHashKey] = { S: lease.startingHashKey }
  if (lease.endingHashKey !== undefined) item[A.endingHashKey] = { S: lease.endingHashKey }
  if (lease.checkpointOwner !== undefined) item[A.checkpointOwner] = { S: lease.checkpointOwner }
  if (lease.pendingCheckpoint !== undefined) {
    item[A.pendingCheckpoint] = { S: lease.pendingCheckpoint }
  }
  if (lease.pendingCheckpointSubSequenceNumber !== undefined) {
    item[A.pendingCheckpointSubSequenceNumber] = {
      N: String(lease.pendingCheckpointSubSequenceNumber),
    }
  }
  if (lease.pendingCheckpointState !== undefined) {
    item[A.pendingCheckpointState] = { B: lease.pendingCheckpointState }
  }
  if (lease.shardAbsentSince !== undefined) {
    item[A.shardAbsentSince] = { N: String(lease.shardAbsentSince) }
  }
  return item
}

function leaseProblems(lease: Lease): string[] {
  const problems: string[] = []
  const A = LEASE_ATTRIBUTES
  if (typeof lease.leaseKey !== 'string' || lease.leaseKey === '') {
    problems.push(`${A.leaseKey}: must be a non-empty string`)
  }
  for (const [name, value] of [
    [A.leaseOwner, lease.leaseOwner],
    [A.checkpointOwner, lease.checkpointOwner],
    [A.startingHashKey, lease.startingHashKey],
    [A.endingHashKey, lease.endingHashKey],
  ] as const) {
    if (value !== undefined && (typeof value !== 'string' || value === '')) {
      problems.push(`${name}: must be a non-empty string when present`)
    }
  }
  for (const [name, value] of [
    [A.leaseCounter, lease.leaseCounter],
    [A.checkpointSubSequenceNumber, lease.checkpointSubSequenceNumber],
    [A.ownerSwitchesSinceCheckpoint, lease.ownerSwitchesSinceCheckpoint],
    [A.pendingCheckpointSubSequenceNumber, lease.pendingCheckpointSubSequenceNumber ?? 0],
    [A.shardAbsentSince, lease.shardAbsentSince ?? 0],
  ] as const) {
    if (!isCount(value))
      problems.push(`${name}: ${String(value)} is not a safe non-negative integer`)
  }
  for (const [name, value] of [
    [A.checkpoint, lease.checkpoint],
    [A.pendingCheckpoint, lease.pendingCheckpoint ?? 'LATEST'],
  ] as const) {
    if (typeof value !== 'string' || !(isSentinel(value) || isSequenceNumber(value))) {
      problems.push(`${name}: ${JSON.stringify(value)} is neither a sequence number nor a sentinel`)
    }
  }
  for (const [name, ids] of [
    [A.parentShardIds, lease.parentShardIds],
    [A.childShardIds, lease.childShardIds],
  ] as const) {
    if (!Array.isArray(ids) || ids.some((id) => typeof id !== 'string' || id === '')) {
      problems.push(`${name}: must be an array of non-empty strings`)
    }
  }
  // (A non-string or empty key was reported above.)
  const key = (k: unknown): string | undefined =>
    typeof k === 'string' && k !== '' ? k : undefined
  problems.push(...hashKeyProblems(key(lease.startingHashKey), key(lease.endingHashKey)))
  if (
    lease.pendingCheckpointState !== undefined &&
    !(lease.pendingCheckpointState instanceof Uint8Array)
  ) {
    problems.push(`${A.pendingCheckpointState}: must be a Uint8Array`)
  }
  for (const name of Object.keys(lease.extraAttributes ?? {})) {
    if (KNOWN_ATTRIBUTES.has(name)) {
      problems.push(`extraAttributes.${name}: shadows a lease attribute; set the field instead`)
    }
  }
  return problems
}

/** A shard's range is two decimal keys in [0, 2^128 − 1], start ≤ end; anything else names no shard. */
function hashKeyProblems(start: string | undefined, end: string | undefined): string[] {
  const problems: string[] = []
  const s = start === undefined ? undefined : parseHashKey(start)
  const e = end === undefined ? undefined : parseHashKey(end)
  if (start !== undefined && s === undefined) {
    problems.push(
      `${LEASE_ATTRIBUTES.startingHashKey}: ${JSON.stringify(start)} is not a decimal hash key`,
    )
  }
  if (end !== undefined && e === undefined) {
    problems.push(
      `${LEASE_ATTRIBUTES.endingHashKey}: ${JSON.stringify(end)} is not a decimal hash key`,
    )
  }
  if (s !== undefined && e !== undefined && s > e) {
    problems.push(
      `${LEASE_ATTRIBUTES.startingHashKey}: greater than ${LEASE_ATTRIBUTES.endingHashKey}`,
    )
  }
  return problems
}

function isCount(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0
}

/** Reads typed attributes out of an item, noting every problem instead of stopping at the first. */
class ItemReader {
  readonly #item: Readonly<LeaseItem>
  readonly #problems: string[]

  constructor(item: Readonly<LeaseItem>, problems: string[]) {
    this.#item = item
    this.#problems = problems
  }

  #get(name: string, type: string, required: boolean): unknown {
    const value: unknown = this.#item[name]
    if (value === undefined) {
      if (required) this.#problems.push(`${name}: missing`)
      return undefined
    }
    if (typeof value !== 'object' || value === null) {
      this.#problems.push(`${name}: not an AttributeValue`)
      return undefined
    }
    const types = Object.keys(value).filter(
      (k) => (value as Record<string, unknown>)[k] !== undefined,
    )
    if (types.length !== 1 || types[0] !== type) {
      this.#problems.push(`${name}: expected type ${type}, found ${types.join('+') || 'nothing'}`)
      return undefined
    }
    return (value as Record<string, unknown>)[type]
  }

  string(name: string, required: boolean): string | undefined {
    const s = this.#get(name, 'S', required)
    if (s === undefined) return undefined
    if (typeof s !== 'string') {
      this.#problems.push(`${name}: S is not a string`)
      return undefined
    }
    return s
  }

  integer(name: string, required: boolean): number | undefined {
    const n = this.#get(name, 'N', required)
    if (n === undefined) return undefined
    if (typeof n !== 'string' || !INTEGER.test(n) || !Number.isSafeInteger(Number(n))) {
      this.#problems.push(`${name}: ${JSON.stringify(n)} is not a safe non-negative integer`)
      return undefined
    }
    return Number(n)
  }

  checkpoint(name: string, required: boolean): Checkpoint | undefined {
    const s = this.string(name, required)
    if (s === undefined) return undefined
    if (!isSentinel(s) && !isSequenceNumber(s)) {
      this.#problems.push(
        `${name}: ${JSON.stringify(s)} is neither a sequence number nor a sentinel`,
      )
      return undefined
    }
    return s
  }

  stringSet(name: string): string[] {
    const ss = this.#get(name, 'SS', false)
    if (ss === undefined) return []
    if (!Array.isArray(ss) || ss.some((s) => typeof s !== 'string')) {
      this.#problems.push(`${name}: SS is not a list of strings`)
      return []
    }
    if (ss.some((s) => s === '')) {
      this.#problems.push(`${name}: holds an empty string`)
      return []
    }
    return [...(ss as string[])]
  }

  bytes(name: string): Uint8Array | undefined {
    const b = this.#get(name, 'B', false)
    if (b === undefined) return undefined
    if (!(b instanceof Uint8Array)) {
      this.#problems.push(`${name}: B is not a Uint8Array`)
      return undefined
    }
    return b
  }
}
