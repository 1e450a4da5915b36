import { CloudWatchClient, PutMetricDataCommand } from '@aws-sdk/client-cloudwatch'
import { DynamoDBClient, ListTablesCommand } from '@aws-sdk/client-dynamodb'
import { KinesisClient, ListStreamsCommand } from '@aws-sdk/client-kinesis'
import { NodeHttpHandler } from '@smithy/node-http-handler'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createStream, startLocalAws, type LocalAws } from '../src/index.js'

// The fast in-process engines: what is tested here is the wiring, not the emulators.
let aws: LocalAws

beforeAll(async () => {
  aws = await startLocalAws({ kinesis: 'kinesalite', dynamo: 'dynalite', cloudwatch: true })
})
afterAll(async () => {
  await aws?.stop()
})

describe('startLocalAws', () => {
  it('starts each emulator asked for, with a working client', async () => {
    expect(aws.kinesis?.engine).toBe('kinesalite')
    expect(aws.dynamo?.engine).toBe('dynalite')
    expect(aws.cloudwatch).toBeDefined()
    const kinesis = aws.clients.kinesis as KinesisClient
    await createStream(kinesis, 'wired', 1)
    expect((await kinesis.send(new ListStreamsCommand({}))).StreamNames).toEqual(['wired'])
    expect(
      (await (aws.clients.dynamo as DynamoDBClient).send(new ListTablesCommand({}))).TableNames,
    ).toEqual([])
  })

  it('gives an environment from which a plain SDK client finds the emulators', async () => {
    expect(aws.env).toMatchObject({
      AWS_ENDPOINT_URL_KINESIS: aws.kinesis?.endpoint,
      AWS_ENDPOINT_URL_DYNAMODB: aws.dynamo?.endpoint,
      AWS_ENDPOINT_URL_CLOUDWATCH: aws.cloudwatch?.endpoint,
      AWS_EC2_METADATA_DISABLED: 'true',
      AWS_REGION: 'us-east-1',
    })
    const saved = { ...process.env }
    Object.assign(process.env, aws.env)
    // Clients built with no endpoint, region or credentials: all of it must come from aws.env.
    const kinesis = new KinesisClient({ requestHandler: new NodeHttpHandler() })
    const dynamo = new DynamoDBClient({})
    const cloudwatch = new CloudWatchClient({})
    try {
      expect((await kinesis.send(new ListStreamsCommand({}))).StreamNames).toContain('wired')
      expect((await dynamo.send(new ListTablesCommand({}))).$metadata.httpStatusCode).toBe(200)
      await cloudwatch.send(
        new PutMetricDataCommand({
          Namespace: 'Kine/Env',
          MetricData: [{ MetricName: 'Up', Value: 1 }],
        }),
      )
      expect(aws.cloudwatch?.metricData().map((d) => d.MetricName)).toEqual(['Up'])
    } finally {
      kinesis.destroy()
      dynamo.destroy()
      cloudwatch.destroy()
      for (const key of Object.keys(aws.env)) delete process.env[key]
      Object.assign(process.env, saved)
    }
  })

  it('starts only what is asked for', async () => {
    const only = await startLocalAws({ kinesis: false, dynamo: false })
    try {
      expect(only.kinesis).toBeUndefined()
      expect(only.dynamo).toBeUndefined()
      expect(only.cloudwatch).toBeDefined()
      expect(Object.keys(only.clients)).toEqual(['cloudwatch'])
      expect(only.env.AWS_ENDPOINT_URL_KINESIS).toBeUndefined()
    } finally {
      await only.stop()
    }
  })
})
