import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, afterEach, describe, expect, it } from 'vitest'
import { createAwsClients, resolveRegion } from './aws-clients.js'

const dir = mkdtempSync(join(tmpdir(), 'kine-cli-region-'))
const saved = {
  config: process.env.AWS_CONFIG_FILE,
  credentials: process.env.AWS_SHARED_CREDENTIALS_FILE,
  region: process.env.AWS_REGION,
}
afterEach(() => {
  if (saved.region !== undefined) process.env.AWS_REGION = saved.region
  process.env.AWS_CONFIG_FILE = saved.config
  process.env.AWS_SHARED_CREDENTIALS_FILE = saved.credentials
  if (saved.config === undefined) delete process.env.AWS_CONFIG_FILE
  if (saved.credentials === undefined) delete process.env.AWS_SHARED_CREDENTIALS_FILE
})
afterAll(() => rmSync(dir, { recursive: true, force: true }))

/** Points the SDK at a config file holding `text` (a fresh path each time: the SDK caches by path). */
function configFile(name: string, text: string): void {
  const file = join(dir, name)
  writeFileSync(file, text)
  process.env.AWS_CONFIG_FILE = file
  process.env.AWS_SHARED_CREDENTIALS_FILE = join(dir, 'none')
  // The SDK reads AWS_REGION itself before the file (the test project sets it).
  delete process.env.AWS_REGION
}

describe('resolveRegion', () => {
  it('takes the flag, then AWS_REGION, then AWS_DEFAULT_REGION', async () => {
    const env = { AWS_REGION: 'eu-west-1', AWS_DEFAULT_REGION: 'ap-south-1' }
    expect(await resolveRegion({ region: 'us-west-2' }, env)).toBe('us-west-2')
    expect(await resolveRegion({}, env)).toBe('eu-west-1')
    expect(await resolveRegion({}, { AWS_DEFAULT_REGION: 'ap-south-1' })).toBe('ap-south-1')
  })

  it("then the profile's region, else us-east-1 as the original kine", async () => {
    configFile('with-profile', '[profile analytics]\nregion = eu-north-1\n')
    expect(await resolveRegion({ profile: 'analytics' }, {})).toBe('eu-north-1')
    configFile('empty', '')
    expect(await resolveRegion({ profile: 'missing' }, {})).toBe('us-east-1')
  })
})

describe('createAwsClients', () => {
  it('gives every client the region and its own endpoint', async () => {
    const clients = await createAwsClients({
      region: 'eu-central-1',
      kinesisEndpoint: 'http://127.0.0.1:4567',
      dynamodbEndpoint: 'http://127.0.0.1:4568',
    })
    try {
      expect(clients.region).toBe('eu-central-1')
      expect(await clients.kinesis().config.region()).toBe('eu-central-1')
      const kinesis = await clients.kinesis().config.endpoint?.()
      expect(kinesis?.hostname).toBe('127.0.0.1')
      expect(kinesis?.port).toBe(4567)
      expect((await clients.dynamodb().config.endpoint?.())?.port).toBe(4568)
      // The same client on every call: one connection pool per run.
      expect(clients.kinesis()).toBe(clients.kinesis())
    } finally {
      clients.destroy()
    }
  })
})
