// Injected faults on the in-memory clients: a refused call applies nothing, a lost response
// applies and still rejects, a hung call answers only its caller's abort.
import { GetItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb'
import { GetRecordsCommand, ProvisionedThroughputExceededException } from '@aws-sdk/client-kinesis'
import { describe, expect, it } from 'vitest'
import { ensureLeaseTable } from '../lease-table.js'
import { InMemoryDynamoDB } from './in-memory-table.js'
import { InMemoryKinesis } from './in-memory-kinesis.js'

const put = (key: string): PutItemCommand =>
  new PutItemCommand({ TableName: 'leases', Item: { leaseKey: { S: key } } })
const get = (key: string): GetItemCommand =>
  new GetItemCommand({ TableName: 'leases', Key: { leaseKey: { S: key } } })

async function table(): Promise<InMemoryDynamoDB> {
  const dynamodb = new InMemoryDynamoDB()
  await ensureLeaseTable(dynamodb.asClient(), 'leases')
  return dynamodb
}

describe('injected faults', () => {
  it('refuse: the call rejects and nothing is written', async () => {
    const dynamodb = await table()
    dynamodb.faults.inject({ operation: 'PutItem' })
    await expect(dynamodb.send(put('a'))).rejects.toMatchObject({ code: 'ECONNRESET' })
    expect((await dynamodb.send(get('a'))).Item).toBeUndefined()
    await dynamodb.send(put('a'))
    expect((await dynamodb.send(get('a'))).Item).toBeDefined()
  })

  it('lose-response: the write applies, the caller gets the error', async () => {
    const dynamodb = await table()
    dynamodb.faults.inject({ operation: 'PutItem', mode: 'lose-response' })
    await expect(dynamodb.send(put('b'))).rejects.toMatchObject({ code: 'ECONNRESET' })
    expect((await dynamodb.send(get('b'))).Item).toEqual({ leaseKey: { S: 'b' } })
  })

  it('only matching calls, `times` of them, with the given error', async () => {
    const kinesis = new InMemoryKinesis()
    kinesis.createStream('s', 1)
    const error = new ProvisionedThroughputExceededException({
      message: 'slow down',
      $metadata: {},
    })
    const fault = kinesis.faults.inject({
      operation: 'GetRecords',
      error,
      times: 2,
      when: (input) => input.Limit === 7,
    })
    const records = (limit: number): Promise<unknown> =>
      kinesis.send(new GetRecordsCommand({ ShardIterator: 'nope', Limit: limit }))
    await expect(records(5)).rejects.toMatchObject({ name: 'InvalidArgumentException' })
    await expect(records(7)).rejects.toBe(error)
    await expect(records(7)).rejects.toBe(error)
    await expect(records(7)).rejects.toMatchObject({ name: 'InvalidArgumentException' })
    expect(fault.hits).toBe(2)
  })

  it('hang: no answer until the caller aborts', async () => {
    const dynamodb = await table()
    dynamodb.faults.inject({ operation: 'GetItem', mode: 'hang' })
    const controller = new AbortController()
    let settled = false
    const call = dynamodb.send(get('c'), { abortSignal: controller.signal }).finally(() => {
      settled = true
    })
    for (let i = 0; i < 10; i++) await Promise.resolve()
    expect(settled).toBe(false)
    controller.abort()
    await expect(call).rejects.toMatchObject({ name: 'AbortError' })
  })
})
