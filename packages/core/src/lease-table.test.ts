import {
  CreateTableCommand,
  DescribeTableCommand,
  DynamoDBServiceException,
  LimitExceededException,
  ResourceInUseException,
  ResourceNotFoundException,
  type DynamoDBClient,
  type TableDescription,
} from '@aws-sdk/client-dynamodb'
import { describe, expect, it } from 'vitest'
import { ManualClock } from './clock.js'
import { AccessDeniedError, InvalidConfigError, KineError } from './errors.js'
import { createLeaseTableInput, ensureLeaseTable } from './lease-table.js'
import type { Logger } from './logger.js'

// These tests fake the DynamoDB client (a table that takes a few polls to become ACTIVE, and
// injected faults) because no emulator can be made to throttle or deny; test/lease-writes.test.ts
// runs ensureLeaseTable against dynalite and DynamoDB Local.

const meta = { httpStatusCode: 400 }

/** A fake DynamoDB that keeps one table's state; `faults` are thrown by the next calls, in order. */
class FakeDynamo {
  status: 'missing' | 'CREATING' | 'ACTIVE' | 'UPDATING' = 'missing'
  describesUntilActive = 2
  keySchema: TableDescription['KeySchema'] = createLeaseTableInput('t').KeySchema
  faults: (Error | undefined)[] = []
  calls: string[] = []
  createInputs: unknown[] = []

  readonly client = {
    send: async (command: unknown): Promise<unknown> => {
      await Promise.resolve()
      const name =
        command instanceof DescribeTableCommand
          ? 'DescribeTable'
          : command instanceof CreateTableCommand
            ? 'CreateTable'
            : 'other'
      this.calls.push(name)
      const fault = this.faults.shift()
      if (fault !== undefined) throw fault
      if (command instanceof CreateTableCommand) {
        if (this.status !== 'missing')
          throw new ResourceInUseException({ message: 'in use', $metadata: meta })
        this.createInputs.push(command.input)
        this.status = 'CREATING'
        return { TableDescription: { TableStatus: 'CREATING' } }
      }
      if (command instanceof DescribeTableCommand) {
        if (this.status === 'missing')
          throw new ResourceNotFoundException({ message: 'not found', $metadata: meta })
        if (this.status === 'CREATING' && --this.describesUntilActive <= 0) this.status = 'ACTIVE'
        return {
          Table: {
            TableStatus: this.status,
            KeySchema: this.keySchema,
            AttributeDefinitions: createLeaseTableInput('t').AttributeDefinitions,
          },
        }
      }
      throw new Error('unexpected command')
    },
  }

  get dynamodb(): DynamoDBClient {
    return this.client as unknown as DynamoDBClient
  }
}

/** Runs `promise` to completion, moving the manual clock forward while it waits. */
async function drive<T>(clock: ManualClock, promise: Promise<T>): Promise<T> {
  let done = false
  const settled = promise.finally(() => {
    done = true
  })
  for (let i = 0; i < 10_000 && !done; i++) await clock.advance(10)
  return settled
}

function recordingLogger(lines: { level: string; fields: unknown; msg?: string }[]): Logger {
  const at =
    (level: string) =>
    (fields: unknown, msg?: string): void => {
      lines.push({ level, fields, ...(msg === undefined ? {} : { msg }) })
    }
  const logger: Logger = {
    trace: at('trace'),
    debug: at('debug'),
    info: at('info'),
    warn: at('warn'),
    error: at('error'),
    child: () => logger,
  }
  return logger
}

describe('createLeaseTableInput', () => {
  it('is the KCL layout: hash key leaseKey (S), no range key, on-demand', () => {
    expect(createLeaseTableInput('orders-app')).toEqual({
      TableName: 'orders-app',
      KeySchema: [{ AttributeName: 'leaseKey', KeyType: 'HASH' }],
      AttributeDefinitions: [{ AttributeName: 'leaseKey', AttributeType: 'S' }],
      BillingMode: 'PAY_PER_REQUEST',
    })
  })
})

describe('ensureLeaseTable', () => {
  it('creates a missing table and resolves only once it is ACTIVE', async () => {
    const fake = new FakeDynamo()
    const clock = new ManualClock()
    const result = await drive(clock, ensureLeaseTable(fake.dynamodb, 'app', { clock }))
    expect(result).toEqual({ created: true })
    expect(fake.status).toBe('ACTIVE')
    expect(fake.createInputs).toEqual([createLeaseTableInput('app')])
    expect(fake.calls.at(-1)).toBe('DescribeTable')
  })

  it('leaves an existing table alone', async () => {
    const fake = new FakeDynamo()
    fake.status = 'ACTIVE'
    const result = await ensureLeaseTable(fake.dynamodb, 'app')
    expect(result).toEqual({ created: false })
    expect(fake.calls).toEqual(['DescribeTable'])
  })

  it('accepts an UPDATING table, which serves reads and writes', async () => {
    const fake = new FakeDynamo()
    fake.status = 'UPDATING'
    await expect(ensureLeaseTable(fake.dynamodb, 'app')).resolves.toEqual({ created: false })
  })

  it('lets two callers race on a missing table: both succeed, one of them created it', async () => {
    const fake = new FakeDynamo()
    const clock = new ManualClock()
    const both = Promise.all([
      ensureLeaseTable(fake.dynamodb, 'app', { clock }),
      ensureLeaseTable(fake.dynamodb, 'app', { clock }),
    ])
    const results = await drive(clock, both)
    expect(results.map((r) => r.created).sort()).toEqual([false, true])
    expect(fake.createInputs).toHaveLength(1)
    // The loser did try, and took ResourceInUseException as "someone else is creating it".
    expect(fake.calls.filter((c) => c === 'CreateTable')).toHaveLength(2)
  })

  it('retries transient faults with backoff, logging each', async () => {
    const fake = new FakeDynamo()
    fake.faults = [
      new LimitExceededException({ message: 'too many', $metadata: meta }),
      new DynamoDBServiceException({
        name: 'InternalServerError',
        $fault: 'server',
        $metadata: { httpStatusCode: 500 },
        message: 'oops',
      }),
      Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' }),
    ]
    const clock = new ManualClock()
    const lines: { level: string; fields: unknown }[] = []
    const result = await drive(
      clock,
      ensureLeaseTable(fake.dynamodb, 'app', { clock, logger: recordingLogger(lines) }),
    )
    expect(result).toEqual({ created: true })
    const warnings = lines
      .filter((l) => l.level === 'warn')
      .map((l) => (l.fields as { error: string }).error)
    expect(warnings).toEqual(['LimitExceededException', 'InternalServerError', 'ECONNREFUSED'])
    expect(clock.now()).toBeGreaterThan(0)
  })

  it('turns access denied into AccessDeniedError at once, keeping the SDK error as cause', async () => {
    const fake = new FakeDynamo()
    const denied = new DynamoDBServiceException({
      name: 'AccessDeniedException',
      $fault: 'client',
      $metadata: meta,
      message: 'not authorized to perform: dynamodb:DescribeTable',
    })
    fake.faults = [denied]
    const error = await ensureLeaseTable(fake.dynamodb, 'app').catch((e: unknown) => e)
    expect(error).toBeInstanceOf(AccessDeniedError)
    expect((error as AccessDeniedError).code).toBe('ACCESS_DENIED')
    expect((error as AccessDeniedError).cause).toBe(denied)
    expect(fake.calls).toEqual(['DescribeTable'])
  })

  it('also when only CreateTable is denied', async () => {
    const fake = new FakeDynamo()
    fake.faults = [
      undefined,
      new DynamoDBServiceException({
        name: 'AccessDeniedException',
        $fault: 'client',
        $metadata: meta,
        message: 'no',
      }),
    ]
    await expect(ensureLeaseTable(fake.dynamodb, 'app')).rejects.toBeInstanceOf(AccessDeniedError)
    expect(fake.calls).toEqual(['DescribeTable', 'CreateTable'])
  })

  it('does not retry a request DynamoDB refuses as invalid', async () => {
    const fake = new FakeDynamo()
    fake.faults = [
      new DynamoDBServiceException({
        name: 'ValidationException',
        $fault: 'client',
        $metadata: meta,
        message: 'bad name',
      }),
    ]
    const error = await ensureLeaseTable(fake.dynamodb, 'app').catch((e: unknown) => e)
    expect(error).toBeInstanceOf(KineError)
    expect((error as KineError).code).toBe('AWS_ERROR')
    expect((error as KineError).retryable).toBe(false)
    expect(fake.calls).toEqual(['DescribeTable'])
  })

  it('refuses an existing table that is not a lease table', async () => {
    const fake = new FakeDynamo()
    fake.status = 'ACTIVE'
    fake.keySchema = [
      { AttributeName: 'leaseKey', KeyType: 'HASH' },
      { AttributeName: 'sortKey', KeyType: 'RANGE' },
    ]
    const error = await ensureLeaseTable(fake.dynamodb, 'app').catch((e: unknown) => e)
    expect(error).toBeInstanceOf(InvalidConfigError)
    expect((error as InvalidConfigError).problems).toEqual([
      'has range key sortKey; a lease table has none',
    ])
  })

  it('gives up with TIMEOUT when the table never becomes ACTIVE', async () => {
    const fake = new FakeDynamo()
    fake.describesUntilActive = Number.POSITIVE_INFINITY
    const clock = new ManualClock()
    const error = await drive(
      clock,
      ensureLeaseTable(fake.dynamodb, 'app', { clock, timeoutMs: 5_000 }).catch((e: unknown) => e),
    )
    expect(error).toBeInstanceOf(KineError)
    expect((error as KineError).code).toBe('TIMEOUT')
    // Every TIMEOUT is retryable: the table may be ready on a later try.
    expect((error as KineError).retryable).toBe(true)
    expect((error as KineError).message).toMatch(/status CREATING/)
    expect(clock.now()).toBeGreaterThanOrEqual(5_000)
    expect(clock.now()).toBeLessThan(6_000)
  })

  it('stops waiting as soon as its signal aborts', async () => {
    const fake = new FakeDynamo()
    fake.describesUntilActive = Number.POSITIVE_INFINITY
    const clock = new ManualClock()
    const controller = new AbortController()
    const pending = ensureLeaseTable(fake.dynamodb, 'app', {
      clock,
      signal: controller.signal,
    }).catch((e: unknown) => e)
    await clock.advance(500)
    const reason = new Error('shutting down')
    controller.abort(reason)
    expect(await pending).toBe(reason)
    const callsAtAbort = fake.calls.length
    await clock.advance(5_000)
    expect(fake.calls.length).toBe(callsAtAbort)
  })

  it('checks its arguments up front', async () => {
    const error = await ensureLeaseTable({} as DynamoDBClient, '', { timeoutMs: 0 }).catch(
      (e: unknown) => e,
    )
    expect(error).toBeInstanceOf(InvalidConfigError)
    expect((error as InvalidConfigError).problems).toEqual([
      'dynamodb: expected an object with method send, got an object',
      'tableName: expected a non-empty string, got ""',
      'timeoutMs: expected a positive integer, got 0',
    ])
  })
})
