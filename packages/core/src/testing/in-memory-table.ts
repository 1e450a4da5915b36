// A DynamoDB that lives in memory, for tests and simulations of many workers over one lease table:
// it answers the commands kine sends (the same output shapes, the SDK's own exception classes,
// conditions evaluated with DynamoDB's semantics) at once and deterministically, and counts the
// capacity units each request would cost on an on-demand table. Not for production use.

import {
  type AttributeDefinition,
  type AttributeValue,
  type ConsumedCapacity,
  type CreateTableCommand,
  type CreateTableCommandOutput,
  type DeleteItemCommand,
  type DeleteItemCommandOutput,
  type DescribeTableCommand,
  type DescribeTableCommandOutput,
  type DynamoDBClient,
  type GetItemCommand,
  type GetItemCommandOutput,
  type KeySchemaElement,
  type PutItemCommand,
  type PutItemCommandOutput,
  type ReturnConsumedCapacity,
  type ScanCommand,
  type ScanCommandOutput,
  type TableDescription,
  type UpdateItemCommand,
  type UpdateItemCommandOutput,
} from '@aws-sdk/client-dynamodb'
import { abortError, Faults, underFault } from './faults.js'
import { conditionFailed, tableInUse, tableNotFound, validationError } from './errors.js'
import {
  Placeholders,
  applyUpdate,
  evaluate,
  parseCondition,
  parseUpdate,
  type Item,
} from './expressions.js'
import { itemSize, readUnits, writeUnits } from './item-size.js'
import { canonicalNumber } from './numbers.js'

/** The operations {@link InMemoryDynamoDB} answers. */
export type InMemoryOperation =
  'CreateTable' | 'DescribeTable' | 'PutItem' | 'UpdateItem' | 'GetItem' | 'Scan' | 'DeleteItem'

/** The commands {@link InMemoryDynamoDB.send} accepts. */
export type InMemoryCommand =
  | CreateTableCommand
  | DescribeTableCommand
  | PutItemCommand
  | UpdateItemCommand
  | GetItemCommand
  | ScanCommand
  | DeleteItemCommand

/** Per-call options, as the SDK's `send` takes them. */
export interface InMemorySendOptions {
  /**
   * Refuses the call (an `AbortError`, as the SDK rejects) when already aborted; a call that has
   * started completes at once, so it cannot be aborted midway.
   * @defaultValue none
   */
  readonly abortSignal?: AbortSignal
}

/** Counters of an {@link InMemoryDynamoDB} since it was made (or since {@link InMemoryDynamoDB.resetStats}). */
export interface InMemoryStats {
  /** Requests answered (including refused ones), by operation. */
  readonly requests: Readonly<Record<InMemoryOperation, number>>
  /** Read request units consumed, as on an on-demand table. */
  readonly readUnits: number
  /** Write request units consumed, including by writes refused by their condition. */
  readonly writeUnits: number
  /** Writes refused with `ConditionalCheckFailedException`. */
  readonly conditionalCheckFailures: number
}

interface Table {
  readonly description: TableDescription
  readonly keyNames: readonly string[]
  readonly items: Map<string, Item>
}

/** Scan pages stop after this many bytes read, as DynamoDB's do. */
const PAGE_BYTES = 1024 * 1024

const OPERATIONS: Record<string, InMemoryOperation> = {
  CreateTableCommand: 'CreateTable',
  DescribeTableCommand: 'DescribeTable',
  PutItemCommand: 'PutItem',
  UpdateItemCommand: 'UpdateItem',
  GetItemCommand: 'GetItem',
  ScanCommand: 'Scan',
  DeleteItemCommand: 'DeleteItem',
}

function emptyRequests(): Record<InMemoryOperation, number> {
  return {
    CreateTable: 0,
    DescribeTable: 0,
    PutItem: 0,
    UpdateItem: 0,
    GetItem: 0,
    Scan: 0,
    DeleteItem: 0,
  }
}

/**
 * An in-memory stand-in for a `DynamoDBClient`, **for tests and simulations only, not for
 * production**: nothing is persisted, and only what kine sends is implemented. It answers
 * CreateTable, DescribeTable, PutItem, UpdateItem, GetItem, Scan (paged with `Limit` and
 * `ExclusiveStartKey`) and DeleteItem from their `input`, with DynamoDB's output shapes and the
 * SDK's exception classes (`ConditionalCheckFailedException` with `Item` under
 * `ReturnValuesOnConditionCheckFailure: ALL_OLD`, `ResourceNotFoundException`,
 * `ResourceInUseException`). Condition and update expressions on top-level attributes are
 * evaluated as DynamoDB does; anything else (nested paths, filters, projections, legacy
 * parameters) is refused with a `ValidationException` rather than ignored. Each request is
 * applied atomically and {@link InMemoryDynamoDB.stats} counts the units it would consume.
 *
 * @example
 * ```ts
 * const dynamodb = new InMemoryDynamoDB()
 * await ensureLeaseTable(dynamodb.asClient(), 'leases')
 * ```
 */
export class InMemoryDynamoDB {
  readonly #tables = new Map<string, Table>()
  #requests = emptyRequests()
  #readUnits = 0
  #writeUnits = 0
  #conditionalCheckFailures = 0
  /**
   * Faults to inject into later calls, e.g. an UpdateItem that applies but whose response is lost:
   * `faults.inject({ operation: 'UpdateItem', mode: 'lose-response' })`.
   */
  readonly faults: Faults<InMemoryOperation> = new Faults<InMemoryOperation>()

  /** This object typed as a `DynamoDBClient`, for code that takes one (only `send` works). */
  asClient(): DynamoDBClient {
    return this as unknown as DynamoDBClient
  }

  /** Request counters and consumed capacity units so far. */
  stats(): InMemoryStats {
    return {
      requests: { ...this.#requests },
      readUnits: this.#readUnits,
      writeUnits: this.#writeUnits,
      conditionalCheckFailures: this.#conditionalCheckFailures,
    }
  }

  /** Sets every counter of {@link InMemoryDynamoDB.stats} back to zero (the tables stay). */
  resetStats(): void {
    this.#requests = emptyRequests()
    this.#readUnits = 0
    this.#writeUnits = 0
    this.#conditionalCheckFailures = 0
  }

  /** Does nothing: there is no connection to close (a `DynamoDBClient` has `destroy`). */
  destroy(): void {}

  send(
    command: CreateTableCommand,
    options?: InMemorySendOptions,
  ): Promise<CreateTableCommandOutput>
  send(
    command: DescribeTableCommand,
    options?: InMemorySendOptions,
  ): Promise<DescribeTableCommandOutput>
  send(command: PutItemCommand, options?: InMemorySendOptions): Promise<PutItemCommandOutput>
  send(command: UpdateItemCommand, options?: InMemorySendOptions): Promise<UpdateItemCommandOutput>
  send(command: GetItemCommand, options?: InMemorySendOptions): Promise<GetItemCommandOutput>
  send(command: ScanCommand, options?: InMemorySendOptions): Promise<ScanCommandOutput>
  send(command: DeleteItemCommand, options?: InMemorySendOptions): Promise<DeleteItemCommandOutput>
  /**
   * Answers one command, as `DynamoDBClient.send` does. The promise settles on a later microtask,
   * never synchronously, like a real call.
   */
  async send(command: InMemoryCommand, options: InMemorySendOptions = {}): Promise<unknown> {
    await Promise.resolve()
    if (options.abortSignal?.aborted) throw abortError(options.abortSignal)
    // By class name, so commands from another copy of the SDK are understood too.
    const operation = OPERATIONS[(command as object).constructor.name]
    if (operation === undefined) {
      throw validationError(
        `InMemoryDynamoDB does not support ${(command as object).constructor.name}`,
      )
    }
    this.#requests[operation] += 1
    const input: unknown = (command as { input: unknown }).input
    return underFault(
      this.faults,
      operation,
      input as Record<string, unknown>,
      options.abortSignal,
      () => this.#apply(operation, input),
    )
  }

  #apply(operation: InMemoryOperation, input: unknown): unknown {
    switch (operation) {
      case 'CreateTable':
        return this.#createTable(input as CreateTableCommand['input'])
      case 'DescribeTable':
        return this.#describeTable(input as DescribeTableCommand['input'])
      case 'PutItem':
        return this.#putItem(input as PutItemCommand['input'])
      case 'UpdateItem':
        return this.#updateItem(input as UpdateItemCommand['input'])
      case 'GetItem':
        return this.#getItem(input as GetItemCommand['input'])
      case 'Scan':
        return this.#scan(input as ScanCommand['input'])
      case 'DeleteItem':
        return this.#deleteItem(input as DeleteItemCommand['input'])
    }
  }

  #createTable(input: CreateTableCommand['input']): CreateTableCommandOutput {
    const name = requireTableName(input.TableName)
    if (this.#tables.has(name)) throw tableInUse(name)
    const keySchema: KeySchemaElement[] = input.KeySchema ?? []
    const definitions: AttributeDefinition[] = input.AttributeDefinitions ?? []
    const hash = keySchema.filter((k) => k.KeyType === 'HASH')
    const range = keySchema.filter((k) => k.KeyType === 'RANGE')
    const problems: string[] = []
    if (hash.length !== 1 || range.length > 1 || hash.length + range.length !== keySchema.length) {
      problems.push('KeySchema needs one HASH key and at most one RANGE key')
    }
    for (const k of keySchema) {
      const type = definitions.find((d) => d.AttributeName === k.AttributeName)?.AttributeType
      if (type === undefined)
        problems.push(`no AttributeDefinition for key ${String(k.AttributeName)}`)
    }
    if (definitions.length !== keySchema.length) {
      problems.push('AttributeDefinitions must define exactly the key attributes')
    }
    if (problems.length > 0) throw validationError(problems.join('; '))
    const keyNames = [...hash, ...range].map((k) => k.AttributeName as string)
    const description: TableDescription = {
      TableName: name,
      TableArn: `arn:aws:dynamodb:in-memory:000000000000:table/${name}`,
      TableStatus: 'ACTIVE',
      KeySchema: keySchema.map((k) => ({ ...k })),
      AttributeDefinitions: definitions.map((d) => ({ ...d })),
      BillingModeSummary: { BillingMode: input.BillingMode ?? 'PROVISIONED' },
      ...(input.ProvisionedThroughput
        ? { ProvisionedThroughput: { ...input.ProvisionedThroughput } }
        : {}),
    }
    this.#tables.set(name, { description, keyNames, items: new Map() })
    return { TableDescription: this.#description(name), $metadata: ok() }
  }

  #describeTable(input: DescribeTableCommand['input']): DescribeTableCommandOutput {
    this.#table(input.TableName)
    return { Table: this.#description(requireTableName(input.TableName)), $metadata: ok() }
  }

  #description(name: string): TableDescription {
    const table = this.#table(name)
    let bytes = 0
    for (const item of table.items.values()) bytes += itemSize(item)
    return structuredClone({
      ...table.description,
      ItemCount: table.items.size,
      TableSizeBytes: bytes,
    })
  }

  #putItem(input: PutItemCommand['input']): PutItemCommandOutput {
    refuseLegacy(input, ['Expected', 'ConditionalOperator'])
    const table = this.#table(input.TableName)
    const item = normalizeItem(input.Item ?? {})
    const key = this.#keyOf(table, item, 'Item')
    const old = table.items.get(key)
    const placeholders = placeholdersOf(input)
    const condition = conditionOf(input, placeholders)
    placeholders.checkAllUsed()
    checkReturnValues(input.ReturnValues, ['NONE', 'ALL_OLD'])
    if (condition !== undefined && !evaluate(condition, old ?? {})) {
      this.#refuse(old, writeUnits(old, undefined), input.ReturnValuesOnConditionCheckFailure)
    }
    const units = writeUnits(old, item)
    this.#writeUnits += units
    table.items.set(key, item)
    return {
      ...(input.ReturnValues === 'ALL_OLD' && old !== undefined ? { Attributes: clone(old) } : {}),
      ...consumed(input.ReturnConsumedCapacity, table, units),
      $metadata: ok(),
    }
  }

  #updateItem(input: UpdateItemCommand['input']): UpdateItemCommandOutput {
    refuseLegacy(input, ['Expected', 'ConditionalOperator', 'AttributeUpdates'])
    const table = this.#table(input.TableName)
    const keyItem = normalizeItem(input.Key ?? {})
    const key = this.#keyOf(table, keyItem, 'Key', true)
    const old = table.items.get(key)
    const placeholders = placeholdersOf(input)
    if (input.UpdateExpression === undefined) {
      throw validationError('InMemoryDynamoDB needs an UpdateExpression')
    }
    const actions = parseUpdate(input.UpdateExpression, placeholders)
    const condition = conditionOf(input, placeholders)
    placeholders.checkAllUsed()
    checkReturnValues(input.ReturnValues, [
      'NONE',
      'ALL_OLD',
      'ALL_NEW',
      'UPDATED_OLD',
      'UPDATED_NEW',
    ])
    for (const a of actions) {
      if (table.keyNames.includes(a.name)) {
        throw validationError(
          `One or more parameter values were invalid: Cannot update attribute ${a.name}. This attribute is part of the key`,
        )
      }
    }
    if (condition !== undefined && !evaluate(condition, old ?? {})) {
      this.#refuse(old, writeUnits(old, undefined), input.ReturnValuesOnConditionCheckFailure)
    }
    const next = normalizeItem({ ...applyUpdate(actions, old ?? {}), ...keyItem })
    checkItemValues(next)
    const units = writeUnits(old, next)
    this.#writeUnits += units
    table.items.set(key, next)
    const touched = new Set(actions.map((a) => a.name))
    const pick = (from: Item | undefined): Item =>
      Object.fromEntries(Object.entries(from ?? {}).filter(([k]) => touched.has(k)))
    let attributes: Item | undefined
    switch (input.ReturnValues ?? 'NONE') {
      case 'ALL_NEW':
        attributes = next
        break
      case 'ALL_OLD':
        attributes = old
        break
      case 'UPDATED_NEW':
        attributes = pick(next)
        break
      case 'UPDATED_OLD':
        attributes = pick(old)
        break
      case 'NONE':
        attributes = undefined
    }
    const returned =
      attributes !== undefined && Object.keys(attributes).length > 0 ? attributes : undefined
    return {
      ...(returned === undefined ? {} : { Attributes: clone(returned) }),
      ...consumed(input.ReturnConsumedCapacity, table, units),
      $metadata: ok(),
    }
  }

  #getItem(input: GetItemCommand['input']): GetItemCommandOutput {
    refuseLegacy(input, ['ProjectionExpression', 'AttributesToGet'])
    const table = this.#table(input.TableName)
    const key = this.#keyOf(table, normalizeItem(input.Key ?? {}), 'Key', true)
    const item = table.items.get(key)
    const units = readUnits(itemSize(item), input.ConsistentRead === true)
    this.#readUnits += units
    return {
      ...(item === undefined ? {} : { Item: clone(item) }),
      ...consumed(input.ReturnConsumedCapacity, table, units),
      $metadata: ok(),
    }
  }

  #scan(input: ScanCommand['input']): ScanCommandOutput {
    refuseLegacy(input, [
      'FilterExpression',
      'ProjectionExpression',
      'ScanFilter',
      'AttributesToGet',
      'ConditionalOperator',
      'Segment',
      'TotalSegments',
      'IndexName',
      'ExpressionAttributeNames',
      'ExpressionAttributeValues',
    ])
    if (input.Select !== undefined && input.Select !== 'ALL_ATTRIBUTES') {
      throw validationError(`InMemoryDynamoDB does not support Select ${input.Select}`)
    }
    const table = this.#table(input.TableName)
    const limit = input.Limit
    if (limit !== undefined && (!Number.isInteger(limit) || limit < 1)) {
      throw validationError('1 validation error detected: Limit must be at least 1')
    }
    const keys = [...table.items.keys()].sort()
    let start = 0
    if (input.ExclusiveStartKey !== undefined) {
      const after = this.#keyOf(
        table,
        normalizeItem(input.ExclusiveStartKey),
        'ExclusiveStartKey',
        true,
      )
      start = keys.findIndex((k) => k > after)
      if (start < 0) start = keys.length
    }
    const items: Item[] = []
    let bytes = 0
    let i = start
    while (i < keys.length && (limit === undefined || items.length < limit) && bytes < PAGE_BYTES) {
      const item = table.items.get(keys[i] as string) as Item
      items.push(clone(item))
      bytes += itemSize(item)
      i += 1
    }
    const last = items[items.length - 1]
    // Like DynamoDB, a page cut by Limit or size names where it stopped even when nothing follows.
    const cut =
      last !== undefined && (i < keys.length || (limit !== undefined && items.length >= limit))
    const units = readUnits(bytes, input.ConsistentRead === true)
    this.#readUnits += units
    return {
      Items: items,
      Count: items.length,
      ScannedCount: items.length,
      ...(cut
        ? {
            LastEvaluatedKey: Object.fromEntries(
              table.keyNames.map((k) => [k, clone(last)[k] as AttributeValue]),
            ),
          }
        : {}),
      ...consumed(input.ReturnConsumedCapacity, table, units),
      $metadata: ok(),
    }
  }

  #deleteItem(input: DeleteItemCommand['input']): DeleteItemCommandOutput {
    refuseLegacy(input, ['Expected', 'ConditionalOperator'])
    const table = this.#table(input.TableName)
    const key = this.#keyOf(table, normalizeItem(input.Key ?? {}), 'Key', true)
    const old = table.items.get(key)
    const placeholders = placeholdersOf(input)
    const condition = conditionOf(input, placeholders)
    placeholders.checkAllUsed()
    checkReturnValues(input.ReturnValues, ['NONE', 'ALL_OLD'])
    const units = writeUnits(old, undefined)
    if (condition !== undefined && !evaluate(condition, old ?? {})) {
      this.#refuse(old, units, input.ReturnValuesOnConditionCheckFailure)
    }
    this.#writeUnits += units
    table.items.delete(key)
    return {
      ...(input.ReturnValues === 'ALL_OLD' && old !== undefined ? { Attributes: clone(old) } : {}),
      ...consumed(input.ReturnConsumedCapacity, table, units),
      $metadata: ok(),
    }
  }

  /** A refused write still costs its units, as on DynamoDB. */
  #refuse(old: Item | undefined, units: number, returnOld: string | undefined): never {
    this.#writeUnits += units
    this.#conditionalCheckFailures += 1
    throw conditionFailed(returnOld === 'ALL_OLD' && old !== undefined ? clone(old) : undefined)
  }

  #table(name: string | undefined): Table {
    const table = this.#tables.get(requireTableName(name))
    if (table === undefined) throw tableNotFound()
    return table
  }

  /** The storage key of an item or key; `exact` when only key attributes may be given. */
  #keyOf(table: Table, item: Item, what: string, exact = false): string {
    const types = table.description.AttributeDefinitions ?? []
    const parts = table.keyNames.map((name) => {
      const value = item[name]
      const type = types.find((d) => d.AttributeName === name)?.AttributeType ?? 'S'
      const raw = (value as Record<string, unknown> | undefined)?.[type]
      if (value === undefined || raw === undefined) {
        throw validationError(
          `One or more parameter values were invalid: Missing the key ${name} in the ${what}, or its type is not ${type}`,
        )
      }
      if (raw === '' || (raw instanceof Uint8Array && raw.byteLength === 0)) {
        throw validationError(
          `One or more parameter values are not valid. The AttributeValue for a key attribute cannot contain an empty string value. Key: ${name}`,
        )
      }
      if (raw instanceof Uint8Array) return Buffer.from(raw).toString('base64')
      return typeof raw === 'string' ? raw : JSON.stringify(raw)
    })
    if (exact && Object.keys(item).length !== table.keyNames.length) {
      throw validationError('The provided key element does not match the schema')
    }
    if (what === 'Item') checkItemValues(item)
    return JSON.stringify(parts)
  }
}

function ok(): { httpStatusCode: number } {
  return { httpStatusCode: 200 }
}

function clone(item: Item): Item {
  return structuredClone(item)
}

function requireTableName(name: string | undefined): string {
  if (name === undefined || name.length < 3) {
    throw validationError('1 validation error detected: TableName must have length at least 3')
  }
  return name
}

function refuseLegacy(input: object, parameters: readonly string[]): void {
  for (const p of parameters) {
    if ((input as Record<string, unknown>)[p] !== undefined) {
      throw validationError(`InMemoryDynamoDB does not support the parameter ${p}`)
    }
  }
}

function checkReturnValues(value: string | undefined, allowed: readonly string[]): void {
  if (value !== undefined && !allowed.includes(value)) {
    throw validationError(`ReturnValues ${value} is not valid for this operation`)
  }
}

/** Numbers in canonical form, as DynamoDB stores them; a deep copy the caller cannot change. */
function normalizeItem(item: Item): Item {
  const out: Item = {}
  for (const [name, value] of Object.entries(item)) out[name] = normalizeValue(value)
  return out
}

function normalizeValue(value: AttributeValue): AttributeValue {
  if (value.N !== undefined) return { N: canonicalNumber(value.N) }
  if (value.NS !== undefined) return { NS: value.NS.map(canonicalNumber) }
  if (value.L !== undefined) return { L: value.L.map(normalizeValue) }
  if (value.M !== undefined) return { M: normalizeItem(value.M) }
  return structuredClone(value)
}

/** Refuses what DynamoDB refuses in a stored item: empty or duplicate sets. */
function checkItemValues(item: Item): void {
  for (const [name, value] of Object.entries(item)) {
    const set = value.SS ?? value.NS ?? value.BS
    if (set === undefined) continue
    if (set.length === 0) {
      throw validationError(
        `One or more parameter values were invalid: An string set  may not be empty (attribute ${name})`,
      )
    }
    const distinct = new Set(
      set.map((x) => (x instanceof Uint8Array ? Buffer.from(x).toString('base64') : String(x))),
    )
    if (distinct.size !== set.length) {
      throw validationError(
        `One or more parameter values were invalid: Input collection contains duplicates (attribute ${name})`,
      )
    }
  }
}

function consumed(
  returnConsumedCapacity: ReturnConsumedCapacity | undefined,
  table: Table,
  units: number,
): { ConsumedCapacity?: ConsumedCapacity } {
  if (returnConsumedCapacity === undefined || returnConsumedCapacity === 'NONE') return {}
  return {
    ConsumedCapacity: {
      TableName: table.description.TableName,
      CapacityUnits: units,
      ...(returnConsumedCapacity === 'INDEXES' ? { Table: { CapacityUnits: units } } : {}),
    },
  }
}

/** The `#name` and `:value` placeholders a write request defines. */
function placeholdersOf(input: {
  ExpressionAttributeNames?: Record<string, string> | undefined
  ExpressionAttributeValues?: Record<string, AttributeValue> | undefined
}): Placeholders {
  return new Placeholders(input.ExpressionAttributeNames, input.ExpressionAttributeValues)
}

/** A write request's ConditionExpression, parsed; undefined when it has none. */
function conditionOf(
  input: { ConditionExpression?: string | undefined },
  placeholders: Placeholders,
): ReturnType<typeof parseCondition> | undefined {
  return input.ConditionExpression === undefined
    ? undefined
    : parseCondition(input.ConditionExpression, placeholders)
}
