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
  backoffDelay,
  createLeaseInput,
  deleteFinishedLeaseInput,
  endUnheldLeaseInput,
  ensureLeaseTable,
  isConditionalCheckFailed,
  isKineError,
  linkChildrenInput,
  linkParentsInput,
  listShards,
  scanLeases,
  sendOptions,
  toKineError,
  type Lease,
} from '@kine/core'
import { shardInfo } from './lineage.js'
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
}

// Writes in flight at once within a generation of new leases.
const WRITE_CONCURRENCY = 8

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
    if (this.#state !== 'new') throw new Error(`Sync.start() called on a ${this.#state} Sync`)
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
    for (const bad of scan.invalid)
      logger.warn({ err: bad, leaseKey: bad.leaseKey }, 'skipping a lease item that does not parse')
    const shards = (await listShards(kinesis, { streamName, pageSize, signal, clock, logger })).map(
      shardInfo,
    )
    // An unparsable item still occupies its key: it counts as leased for rule 11, nothing more.
    const opaque = scan.invalid.flatMap((e) => (e.leaseKey === undefined ? [] : [e.leaseKey]))
    const plan = planSync(shards, scan.leases, initial, opaque)

    const result: SyncResult = { created: [], linked: [], ended: [], deleted: [] }
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
    for (const leaseKey of plan.end) {
      if (
        await this.#conditional(new UpdateItemCommand(endUnheldLeaseInput(tableName, { leaseKey })))
      )
        result.ended.push(leaseKey)
    }
    const now = clock.now()
    const deletable = new Set(plan.deletable)
    for (const key of this.#deletableSince.keys())
      if (!deletable.has(key)) this.#deletableSince.delete(key)
    for (const leaseKey of plan.deletable) {
      const since = this.#deletableSince.get(leaseKey) ?? now
      this.#deletableSince.set(leaseKey, since)
      if (now - since < this.#o.gracePeriodMs) continue
      if (
        await this.#conditional(
          new DeleteItemCommand(deleteFinishedLeaseInput(tableName, { leaseKey })),
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
