// The worker's DynamoDB calls: each attempt under a deadline (a hung request must not hold a
// lease's write queue past its deadline, rule 2 of docs/lease-protocol.md), and a failed condition
// answered with the item as it is now, from the error when DynamoDB returned it, else from a
// consistent GetItem.

import {
  GetItemCommand,
  PutItemCommand,
  UpdateItemCommand,
  type DynamoDBClient,
  type PutItemCommandInput,
  type UpdateItemCommandInput,
} from '@aws-sdk/client-dynamodb'
import {
  scanLeases,
  type Clock,
  type Lease,
  type LeaseScan,
  type ScanLeasesOptions,
} from '@kine/core'
import {
  conditionFailedItem,
  isConditionalCheckFailed,
  leaseFromItem,
  withDeadline,
} from '@kine/core/lease-table'

/** The result of a fenced write: applied (with the new item when asked for), or refused. */
type WriteResult =
  | { readonly applied: true; readonly lease: Lease | undefined }
  | { readonly applied: false; readonly current: Lease | undefined }

/** The lease table as the worker uses it. */
export class LeaseStore {
  readonly #dynamodb: DynamoDBClient
  readonly #table: string
  readonly #clock: Clock
  readonly #timeoutMs: number
  readonly #scanTimeoutMs: number
  readonly #scanReporting: Pick<ScanLeasesOptions, 'logger' | 'metrics' | 'streamName'>

  /**
   * @param timeoutMs deadline of one write or GetItem (a renewal later than this is useless)
   * @param scanTimeoutMs deadline of a whole scan (every page)
   * @param scanReporting where a scan reports the malformed pages it asks again for
   */
  constructor(
    dynamodb: DynamoDBClient,
    table: string,
    clock: Clock,
    timeoutMs: number,
    scanTimeoutMs: number,
    scanReporting: Pick<ScanLeasesOptions, 'logger' | 'metrics' | 'streamName'> = {},
  ) {
    this.#dynamodb = dynamodb
    this.#table = table
    this.#clock = clock
    this.#timeoutMs = timeoutMs
    this.#scanTimeoutMs = scanTimeoutMs
    this.#scanReporting = scanReporting
  }

  /** Sends a fenced UpdateItem; a failed condition is a result, any other failure throws. */
  async update(input: UpdateItemCommandInput): Promise<WriteResult> {
    try {
      const out = await this.#withDeadline((signal) =>
        this.#dynamodb.send(new UpdateItemCommand(input), { abortSignal: signal }),
      )
      return { applied: true, lease: out.Attributes ? leaseFromItem(out.Attributes) : undefined }
    } catch (error) {
      if (!isConditionalCheckFailed(error)) throw error
      return { applied: false, current: await this.#currentAfter(error, input.Key?.leaseKey?.S) }
    }
  }

  /** Creates a lease if none exists; false when one already did (someone else created it). */
  async create(input: PutItemCommandInput): Promise<boolean> {
    try {
      await this.#withDeadline((signal) =>
        this.#dynamodb.send(new PutItemCommand(input), { abortSignal: signal }),
      )
      return true
    } catch (error) {
      if (isConditionalCheckFailed(error)) return false
      throw error
    }
  }

  /** Sends an unconditional-result UpdateItem (links); a failed condition is ignored. */
  async updateIgnoringCondition(input: UpdateItemCommandInput): Promise<void> {
    try {
      await this.#withDeadline((signal) =>
        this.#dynamodb.send(new UpdateItemCommand(input), { abortSignal: signal }),
      )
    } catch (error) {
      if (!isConditionalCheckFailed(error)) throw error
    }
  }

  /** The lease as stored now (strongly consistent), or undefined when there is none. */
  async get(shardId: string): Promise<Lease | undefined> {
    const out = await this.#withDeadline((signal) =>
      this.#dynamodb.send(
        new GetItemCommand({
          TableName: this.#table,
          Key: { leaseKey: { S: shardId } },
          ConsistentRead: true,
        }),
        { abortSignal: signal },
      ),
    )
    return out.Item ? leaseFromItem(out.Item) : undefined
  }

  /** Every lease in the table (items that do not parse are returned apart). */
  scan(signal?: AbortSignal): Promise<LeaseScan> {
    return this.#withDeadline(
      (combined) =>
        scanLeases(this.#dynamodb, this.#table, {
          ...this.#scanReporting,
          signal: combined,
          clock: this.#clock,
        }),
      this.#scanTimeoutMs,
      signal,
    )
  }

  async #currentAfter(error: unknown, shardId: string | undefined): Promise<Lease | undefined> {
    const item = conditionFailedItem(error)
    if (item !== undefined) return leaseFromItem(item)
    if (shardId === undefined) return undefined
    return this.get(shardId)
  }

  #withDeadline<T>(
    call: (signal: AbortSignal) => Promise<T>,
    timeoutMs: number = this.#timeoutMs,
    signal?: AbortSignal,
  ): Promise<T> {
    return withDeadline({ clock: this.#clock, timeoutMs, what: 'DynamoDB call', signal }, call)
  }
}
