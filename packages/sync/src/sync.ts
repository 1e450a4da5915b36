// Sync: keeps the lease table in step with the stream's shards, once or in a loop.
// Every write is conditional and idempotent, so any number of Syncs and workers may race.

import {
  DeleteItemCommand,
  PutItemCommand,
  UpdateItemCommand,
  type DynamoDBClient,
} from '@aws-sdk/client-dynamodb'
import {
  AbortedError,
  InvalidConfigError,
  ensureLeaseTable,
  isKineError,
  listShards,
  scanLeases,
  type Lease,
} from '@kine/core'
import {
  backoffDelay,
  clearShardAbsentInput,
  createLeaseInput,
  deleteFinishedLeaseInput,
  endUnheldLeaseInput,
  isConditionalCheckFailed,
  linkChildrenInput,
  linkParentsInput,
  markShardAbsentInput,
  sendOptions,
  toKineError,
} from '@kine/core/lease-table'
import { shardInfo, type ShardInfo } from './lineage.js'
import { resolveSyncOptions, type ResolvedSyncOptions, type SyncOptions } from './options.js'
import { planSync, type NewLease } from './plan.js'

/** What one pass changed, as shard ids. */
export interface SyncResult {
  /** Leases this pass created. */
  readonly created: string[]
  /** Leases that got missing parent or child links. */
  readonly linked: string[]
  /** Unheld leases of shards gone from the stream, set to `SHARD_END`. */
  readonly ended: string[]
  /** Finished leases deleted after their grace period. */
  readonly deleted: string[]
  /**
   * Unheld leases whose shard this pass found missing for the first time: marked
   * (`kineShardAbsentSince`), to be ended or deleted once a later listing confirms the absence.
   */
  readonly absent: string[]
  /**
   * Why this pass planned and wrote nothing: the shard listing looked malformed or incomplete
   * (no open shard, an open shard missing, ...). Absent when the pass ran normally.
   */
  readonly skipped?: string
}

// Writes in flight at once within a generation of new leases.
const WRITE_CONCURRENCY = 8

// A previous listing younger than this is compared with the next: an open shard cannot have closed
// and aged out in between (retention is at least 24 h).
const PREVIOUS_LISTING_MAX_AGE_MS = 12 * 60 * 60 * 1000

type State = 'new' | 'running' | 'stopped'

/**
 * Mirrors a stream's shards into a KCL 2.x compatible lease table: creates leases for new shards,
 * links parents and children, ends leases of shards that aged out, deletes finished leases.
 *
 * Many processes may run a Sync on one table: results stay correct because every write is
 * conditional, and ListShards traffic stays bounded because each loop waits a jittered interval
 * (one full listing per Sync per interval, whatever the number of workers).
 */
export class Sync {
  readonly #o: ResolvedSyncOptions
  readonly #stopController = new AbortController()
  #state: State = 'new'
  #init: Promise<void> | undefined
  #loop: Promise<void> | undefined
  #pass: Promise<unknown> = Promise.resolve()
  /** When each deletable lease was first seen deletable (monotonic ms): the grace period runs from there. */
  readonly #deletableSince = new Map<string, number>()
  /** The open shards of the last listing planned from, and when it was taken (monotonic ms). */
  #previousOpen: { readonly ids: ReadonlySet<string>; readonly at: number } | undefined
  /** Invalid items already warned about (key and problems): one warning each, not one per pass. */
  readonly #warnedInvalid = new Set<string>()

  constructor(options: SyncOptions) {
    this.#o = resolveSyncOptions(options)
    const signal = this.#o.signal
    if (signal) {
      if (signal.aborted) this.#stopController.abort(signal.reason)
      else signal.addEventListener('abort', () => void this.stop(), { once: true })
    }
  }

  /**
   * Creates the table if missing (on-demand billing), waits until it is active, and checks that
   * the stream exists. Safe to call more than once and from many processes at once.
   * @throws a `KineError`: `STREAM_NOT_FOUND`, `ACCESS_DENIED`, ...
   */
  init(): Promise<void> {
    this.#init ??= this.#doInit()
    return this.#init
  }

  async #doInit(): Promise<void> {
    const { kinesis, dynamodb, tableName, streamName, clock, logger } = this.#o
    const signal = this.#stopController.signal
    // A missing stream is the likelier mistake: say so before creating a table for it.
    await listShards(kinesis, { streamName, pageSize: 1, signal, clock, logger })
    const { created } = await ensureLeaseTable(dynamodb, tableName, { signal, clock, logger })
    logger.info({ tableName, created }, created ? 'lease table created' : 'lease table ready')
  }

  /**
   * Runs `init()`, syncs once, then keeps syncing every interval; resolves once running.
   * Rejects when the first pass fails in a way retrying cannot fix; transient failures are
   * logged and retried by the loop.
   */
  async start(): Promise<void> {
    if (this.#state !== 'new') {
      throw new InvalidConfigError('use of Sync', [
        `start() called on a ${this.#state} Sync: a Sync starts once`,
      ])
    }
    this.#state = 'running'
    try {
      await this.init()
      await this.syncOnce().catch((error: unknown) => {
        if (!isKineError(error) || !error.retryable) throw error
        this.#o.logger.warn({ err: error }, 'first sync pass failed, retrying')
      })
    } catch (error) {
      this.#state = 'stopped'
      throw error
    }
    this.#loop = this.#run()
  }

  /** Stops the loop; resolves once no pass is running. A stopped Sync stays stopped. */
  async stop(): Promise<void> {
    this.#state = 'stopped'
    this.#stopController.abort(new AbortedError('Sync stopped'))
    await this.#loop
    await this.#pass.catch(() => {})
  }

  /** One pass over the table and the stream. Passes never overlap: a call waits for the one running. */
  syncOnce(): Promise<SyncResult> {
    const pass = this.#pass.catch(() => {}).then(() => this.#syncPass())
    this.#pass = pass
    return pass
  }

  async #run(): Promise<void> {
    const { clock, logger, intervalMs, random } = this.#o
    const signal = this.#stopController.signal
    let failures = 0
    while (!signal.aborted) {
      const wait =
        failures === 0
          ? intervalMs * (0.8 + 0.4 * random())
          : Math.min(intervalMs, backoffDelay(failures - 1, { baseMs: 1_000 }))
      try {
        await clock.sleep(wait, signal)
      } catch {
        return
      }
      try {
        await this.syncOnce()
        failures = 0
      } catch (error) {
        if (signal.aborted) return
        failures++
        logger.warn({ err: error, failures }, 'sync pass failed; retrying')
      }
    }
  }

  async #syncPass(): Promise<SyncResult> {
    const { kinesis, dynamodb, tableName, streamName, pageSize, clock, logger, metrics, initial } =
      this.#o
    const signal = this.#stopController.signal
    signal.throwIfAborted()
    // Leases first, then the listing: every lease read was created before the listing began, so
    // a lease whose shard is missing from it really left the stream (a worker's fresh child lease
    // cannot be mistaken for an aged-out shard).
    const scan = await scanLeases(dynamodb, tableName, { signal })
    for (const bad of scan.invalid) {
      const key = JSON.stringify([bad.leaseKey ?? null, bad.problems])
      if (this.#warnedInvalid.has(key)) continue
      this.#warnedInvalid.add(key)
      logger.warn(
        { err: bad, leaseKey: bad.leaseKey, problems: bad.problems },
        'skipping a lease item that is not a usable lease',
      )
    }
    const listing = await listShards(kinesis, { streamName, pageSize, signal, clock, logger })
    const listedAt = clock.now()
    let shards: ShardInfo[]
    try {
      shards = listing.map(shardInfo)
    } catch (error) {
      // A shard without an id or hash keys: the listing is malformed, like those planSync refuses.
      return this.#skipped(error instanceof Error ? error.message : String(error), listing.length)
    }
    // An unparsable item still occupies its key: it counts as leased for rule 11
    // (docs/lease-protocol.md), nothing more.
    const opaque = scan.invalid.flatMap((e) => (e.leaseKey === undefined ? [] : [e.leaseKey]))
    const previous = this.#previousOpen
    const plan = planSync(shards, scan.leases, initial, opaque, {
      now: Math.floor(clock.wallNow()),
      shardGoneConfirmMs: this.#o.shardGoneConfirmMs,
      ...(previous !== undefined && listedAt - previous.at < PREVIOUS_LISTING_MAX_AGE_MS
        ? { previouslyOpen: previous.ids }
        : {}),
    })
    // Compared with the next listing even when this one was refused: a stream deleted and made
    // again under its name must not keep every later pass refused for hours.
    this.#previousOpen = {
      ids: new Set(shards.flatMap((s) => (s.closed ? [] : [s.shardId]))),
      at: listedAt,
    }
    if (plan.skipped !== undefined) return this.#skipped(plan.skipped, shards.length)
    const listed = new Set(shards.map((s) => s.shardId))
    const absentSince = new Map(
      scan.leases.flatMap((l) =>
        l.shardAbsentSince === undefined ? [] : [[l.leaseKey, l.shardAbsentSince] as const],
      ),
    )

    const result: SyncResult = { created: [], linked: [], ended: [], deleted: [], absent: [] }
    for (const generation of plan.create) {
      await forEachLimit(generation, WRITE_CONCURRENCY, async (lease) => {
        if (await this.#create(lease)) result.created.push(lease.shardId)
      })
    }
    const linked = new Set<string>()
    for (const { shardId, parentShardIds } of plan.linkParents) {
      if (
        await this.#conditional(
          new UpdateItemCommand(linkParentsInput(tableName, { leaseKey: shardId, parentShardIds })),
        )
      )
        linked.add(shardId)
    }
    for (const { shardId, childShardIds } of plan.linkChildren) {
      if (
        await this.#conditional(
          new UpdateItemCommand(linkChildrenInput(tableName, { leaseKey: shardId, childShardIds })),
        )
      )
        linked.add(shardId)
    }
    result.linked.push(...linked)
    // Rule 8 of docs/lease-protocol.md, two listings: a shard seen again loses its mark; one
    // missing for the first time gets one; one still missing a while after its mark is gone (ended
    // below, or deleted).
    for (const { shardId, since } of plan.clearAbsent) {
      await this.#conditional(
        new UpdateItemCommand(
          clearShardAbsentInput(tableName, { leaseKey: shardId, shardAbsentSince: since }),
        ),
      )
    }
    const now = Math.floor(clock.wallNow())
    for (const leaseKey of plan.markAbsent) {
      if (
        await this.#conditional(
          new UpdateItemCommand(
            markShardAbsentInput(tableName, { leaseKey, shardAbsentSince: now }),
          ),
        )
      ) {
        result.absent.push(leaseKey)
        logger.info(
          { leaseKey, streamName, confirmAfterMs: this.#o.shardGoneConfirmMs },
          'shard missing from the listing; its lease is ended or deleted once a later listing confirms',
        )
      }
    }
    for (const leaseKey of plan.end) {
      const since = absentSince.get(leaseKey)
      if (since === undefined) continue // planSync ends only marked leases
      if (
        await this.#conditional(
          new UpdateItemCommand(
            endUnheldLeaseInput(tableName, { leaseKey, shardAbsentSince: since }),
          ),
        )
      )
        result.ended.push(leaseKey)
    }
    const monotonicNow = clock.now()
    const deletable = new Set(plan.deletable)
    for (const key of this.#deletableSince.keys())
      if (!deletable.has(key)) this.#deletableSince.delete(key)
    for (const leaseKey of plan.deletable) {
      const since = this.#deletableSince.get(leaseKey) ?? monotonicNow
      this.#deletableSince.set(leaseKey, since)
      if (monotonicNow - since < this.#o.gracePeriodMs) continue
      // Deleted because its shard is gone: only while it still carries the mark planned from.
      const gone = listed.has(leaseKey) ? undefined : absentSince.get(leaseKey)
      if (!listed.has(leaseKey) && gone === undefined) continue
      if (
        await this.#conditional(
          new DeleteItemCommand(
            deleteFinishedLeaseInput(tableName, {
              leaseKey,
              ...(gone === undefined ? {} : { shardAbsentSince: gone }),
            }),
          ),
        )
      ) {
        result.deleted.push(leaseKey)
        this.#deletableSince.delete(leaseKey)
      }
    }

    metrics.record('Sync.Created', result.created.length, 'Count', { StreamName: streamName })
    metrics.record('Sync.Deleted', result.deleted.length, 'Count', { StreamName: streamName })
    if (scan.leases.length === 0 && result.created.length > 0) {
      logger.info(
        { streamName, tableName, initialPosition: initial, created: result.created.length },
        'first sync pass leased the stream',
      )
    }
    logger.debug({ ...result, shards: shards.length, leases: scan.leases.length }, 'sync pass done')
    return result
  }

  /** The result of a pass that planned nothing because the listing looked wrong; says so once per pass. */
  #skipped(reason: string, shards: number): SyncResult {
    const { streamName, tableName, logger } = this.#o
    logger.warn(
      { streamName, tableName, reason, shards },
      'sync pass skipped: the shard listing looks malformed or incomplete; nothing was changed',
    )
    return { created: [], linked: [], ended: [], deleted: [], absent: [], skipped: reason }
  }

  /** Creates a lease; false when it already existed (someone else made it: then add any links it lacks). */
  async #create(planned: NewLease): Promise<boolean> {
    const lease: Lease = {
      leaseKey: planned.shardId,
      leaseCounter: 0,
      checkpoint: planned.checkpoint,
      checkpointSubSequenceNumber: 0,
      ownerSwitchesSinceCheckpoint: 0,
      parentShardIds: planned.parentShardIds,
      childShardIds: planned.childShardIds,
      startingHashKey: planned.startingHashKey,
      endingHashKey: planned.endingHashKey,
    }
    const { tableName } = this.#o
    if (await this.#conditional(new PutItemCommand(createLeaseInput(tableName, lease)))) return true
    if (planned.parentShardIds.length > 0) {
      await this.#conditional(
        new UpdateItemCommand(
          linkParentsInput(tableName, {
            leaseKey: planned.shardId,
            parentShardIds: planned.parentShardIds,
          }),
        ),
      )
    }
    return false
  }

  /** Sends a conditional write; false when its condition did not hold (another writer got there first). */
  async #conditional(
    command: PutItemCommand | UpdateItemCommand | DeleteItemCommand,
  ): Promise<boolean> {
    const dynamodb: DynamoDBClient = this.#o.dynamodb
    const options = sendOptions(this.#stopController.signal)
    try {
      if (command instanceof PutItemCommand) await dynamodb.send(command, options)
      else if (command instanceof UpdateItemCommand) await dynamodb.send(command, options)
      else await dynamodb.send(command, options)
      return true
    } catch (error) {
      if (isConditionalCheckFailed(error)) return false
      this.#stopController.signal.throwIfAborted()
      throw toKineError(error, `lease table "${this.#o.tableName}"`, 'TABLE_NOT_FOUND')
    }
  }
}

async function forEachLimit<T>(
  items: readonly T[],
  limit: number,
  fn: (item: T) => Promise<void>,
): Promise<void> {
  let next = 0
  const lane = async (): Promise<void> => {
    while (next < items.length) await fn(items[next++]!)
  }
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, lane))
}
