import { ListStreamsCommand } from '@aws-sdk/client-kinesis'
import { ListTablesCommand } from '@aws-sdk/client-dynamodb'
import { spawn, type ChildProcess } from 'node:child_process'
import { existsSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { dynamoClient, kinesisClient } from '../src/index.js'
import { childrenOf, gone } from './helpers.js'

// `pnpm local` runs the built CLI (dist/cli.js); `pnpm test` builds before testing.
const cli = fileURLToPath(new URL('../dist/cli.js', import.meta.url))
let proc: ChildProcess | undefined

afterAll(() => {
  proc?.kill('SIGKILL')
})

function waitForOutput(child: ChildProcess, pattern: RegExp): Promise<string> {
  return new Promise((resolve, reject) => {
    let out = ''
    child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
      out += chunk
      if (pattern.test(out)) resolve(out)
    })
    child.once('exit', (code) => reject(new Error(`cli exited (${code}) early:\n${out}`)))
  })
}

describe('pnpm local (dist/cli.js)', () => {
  beforeAll(() => {
    if (!existsSync(cli))
      throw new Error(`${cli} is missing: build first (pnpm --filter @kine-tools/local build)`)
  })

  it('prints endpoints and shell exports, serves them, and stops everything on SIGTERM', async () => {
    proc = spawn(process.execPath, [cli, '--quiet'], { stdio: ['ignore', 'pipe', 'pipe'] })
    const out = await waitForOutput(proc, /export AWS_EC2_METADATA_DISABLED=true/)
    const env: Record<string, string> = Object.fromEntries(
      [...out.matchAll(/^export (\w+)=(.*)$/gm)].map((m) => [m[1] ?? '', m[2] ?? '']),
    )
    expect(env).toMatchObject({
      AWS_ACCESS_KEY_ID: expect.any(String) as unknown,
      AWS_REGION: 'us-east-1',
    })
    expect(out).toMatch(/Kinesis\s+kinesis-local\s+http:\/\/127\.0\.0\.1:\d+/)

    const kinesis = kinesisClient(env.AWS_ENDPOINT_URL_KINESIS ?? '')
    const dynamo = dynamoClient(env.AWS_ENDPOINT_URL_DYNAMODB ?? '')
    try {
      expect((await kinesis.send(new ListStreamsCommand({}))).StreamNames).toEqual([])
      expect((await dynamo.send(new ListTablesCommand({}))).TableNames).toEqual([])
    } finally {
      kinesis.destroy()
      dynamo.destroy()
    }
    expect(env.AWS_ENDPOINT_URL_CLOUDWATCH).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/)

    const children = childrenOf(proc.pid ?? 0)
    expect(children.length).toBeGreaterThan(0) // kinesis-local (and its watchdog)
    const exited = new Promise<number | null>((resolve) => proc?.once('exit', resolve))
    proc.kill('SIGTERM')
    expect(await exited).toBe(0)
    for (const pid of children) expect(await gone(pid)).toBe(true)
  })
})
