import {
  ConditionalCheckFailedException,
  CreateTableCommand,
  GetItemCommand,
  ListTablesCommand,
  PutItemCommand,
  type DynamoDBClient,
} from '@aws-sdk/client-dynamodb'
import { afterAll, describe, expect, it } from 'vitest'
import { dynamoClient, startDynamo, type LocalDynamo } from '../src/index.js'

const running: LocalDynamo[] = []
const clients: DynamoDBClient[] = []
afterAll(async () => {
  for (const c of clients) c.destroy()
  await Promise.all(running.map((d) => d.stop()))
})

async function leaseTable(client: DynamoDBClient, name: string): Promise<void> {
  await client.send(
    new CreateTableCommand({
      TableName: name,
      KeySchema: [{ AttributeName: 'leaseKey', KeyType: 'HASH' }],
      AttributeDefinitions: [{ AttributeName: 'leaseKey', AttributeType: 'S' }],
      BillingMode: 'PAY_PER_REQUEST',
    }),
  )
}

describe('dynalite', () => {
  it('runs two at once on different ports, each with its own tables', async () => {
    const [a, b] = await Promise.all([startDynamo(), startDynamo()])
    running.push(a, b)
    expect(a.engine).toBe('dynalite')
    expect(a.endpoint).toBe(`http://127.0.0.1:${a.port}`)
    expect(a.port).not.toBe(b.port)
    const clientA = dynamoClient(a.endpoint)
    const clientB = dynamoClient(b.endpoint)
    clients.push(clientA, clientB)
    await leaseTable(clientA, 'leases')
    expect((await clientA.send(new ListTablesCommand({}))).TableNames).toEqual(['leases'])
    expect((await clientB.send(new ListTablesCommand({}))).TableNames).toEqual([])
  })

  it('keeps items and refuses a failed condition with ConditionalCheckFailedException', async () => {
    const d = await startDynamo({ engine: 'dynalite' })
    running.push(d)
    const client = dynamoClient(d.endpoint)
    clients.push(client)
    await leaseTable(client, 'leases')
    const put = (owner: string): PutItemCommand =>
      new PutItemCommand({
        TableName: 'leases',
        Item: { leaseKey: { S: 'shardId-000000000000' }, leaseOwner: { S: owner } },
        ConditionExpression: 'attribute_not_exists(leaseKey)',
      })
    await client.send(put('worker-a'))
    await expect(client.send(put('worker-b'))).rejects.toBeInstanceOf(
      ConditionalCheckFailedException,
    )
    const item = await client.send(
      new GetItemCommand({ TableName: 'leases', Key: { leaseKey: { S: 'shardId-000000000000' } } }),
    )
    expect(item.Item?.leaseOwner).toEqual({ S: 'worker-a' })
  })

  it('stops: the port no longer answers, and stop() can be called again', async () => {
    const d = await startDynamo()
    await d.stop()
    await d.stop()
    const client = dynamoClient(d.endpoint, { config: { maxAttempts: 1 } })
    clients.push(client)
    await expect(client.send(new ListTablesCommand({}))).rejects.toThrow()
  })
})
