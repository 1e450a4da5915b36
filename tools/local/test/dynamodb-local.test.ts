import {
  ConditionalCheckFailedException,
  CreateTableCommand,
  GetItemCommand,
  PutItemCommand,
  UpdateItemCommand,
  type DynamoDBClient,
} from '@aws-sdk/client-dynamodb'
import { spawnSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { dynamoClient, javaAvailable, startDynamo, type LocalDynamo } from '../src/index.js'
import { isRunning } from './helpers.js'

// DynamoDB Local needs Java; without it vitest reports these tests as skipped.
describe.skipIf(!javaAvailable())('DynamoDB Local', () => {
  let dynamo: LocalDynamo
  let client: DynamoDBClient

  beforeAll(async () => {
    dynamo = await startDynamo({ engine: 'dynamodb-local' })
    client = dynamoClient(dynamo.endpoint)
  })
  afterAll(async () => {
    client?.destroy()
    await dynamo?.stop()
  })

  it('runs Amazon’s jar as a child process on a loopback endpoint', () => {
    expect(dynamo.engine).toBe('dynamodb-local')
    expect(dynamo.endpoint).toBe(`http://127.0.0.1:${dynamo.port}`)
    expect(isRunning(dynamo.pid ?? 0)).toBe(true)
  })

  it('creates a table, keeps items and fences conditional writes', async () => {
    await client.send(
      new CreateTableCommand({
        TableName: 'leases',
        KeySchema: [{ AttributeName: 'leaseKey', KeyType: 'HASH' }],
        AttributeDefinitions: [{ AttributeName: 'leaseKey', AttributeType: 'S' }],
        BillingMode: 'PAY_PER_REQUEST',
      }),
    )
    const key = { leaseKey: { S: 'shardId-000000000000' } }
    await client.send(
      new PutItemCommand({ TableName: 'leases', Item: { ...key, leaseCounter: { N: '1' } } }),
    )
    const bump = (expected: string): UpdateItemCommand =>
      new UpdateItemCommand({
        TableName: 'leases',
        Key: key,
        UpdateExpression: 'SET leaseCounter = leaseCounter + :one',
        ConditionExpression: 'leaseCounter = :expected',
        ExpressionAttributeValues: { ':one': { N: '1' }, ':expected': { N: expected } },
      })
    await client.send(bump('1'))
    await expect(client.send(bump('1'))).rejects.toBeInstanceOf(ConditionalCheckFailedException)
    const item = await client.send(
      new GetItemCommand({ TableName: 'leases', Key: key, ConsistentRead: true }),
    )
    expect(item.Item?.leaseCounter).toEqual({ N: '2' })
  })

  it('stops leaving no process behind', async () => {
    const pid = dynamo.pid ?? 0
    await dynamo.stop()
    await dynamo.stop()
    expect(isRunning(pid)).toBe(false)
  })
})

// Run through the built package in a process whose PATH has no java, as on a machine without Java.
const dist = fileURLToPath(new URL('../dist/index.js', import.meta.url))

describe('DynamoDB Local without Java', () => {
  beforeAll(() => {
    if (!existsSync(dist))
      throw new Error(`${dist} is missing: build first (pnpm --filter @kine-tools/local build)`)
  })

  it('is reported by javaAvailable() and startDynamo rejects with JAVA_MISSING', () => {
    const script = `
      import { javaAvailable, startDynamo } from ${JSON.stringify(dist)}
      const error = await startDynamo({ engine: 'dynamodb-local' }).catch((e) => e)
      console.log(JSON.stringify({ java: javaAvailable(), code: error.code, message: error.message }))
    `
    const run = spawnSync(process.execPath, ['--input-type=module', '-e', script], {
      env: { PATH: '', AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
      encoding: 'utf8',
      timeout: 30_000,
    })
    const result = JSON.parse(run.stdout) as { java: boolean; code: string; message: string }
    expect(result.java).toBe(false)
    expect(result.code).toBe('JAVA_MISSING')
    expect(result.message).toMatch(/Java 17 or newer/)
  })
})
