// The errors a person can act on: each gives one clear message on stderr, no stack trace (unless
// --debug) and a non-zero exit code: 2 for a mistake in the flags, 1 for the rest.

import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { createStream } from '@kine-tools/local'
import { useEnv } from '@kine-tools/testkit'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { killRunning, runKine, type KineRun } from './run-kine.js'

// kinesalite runs in this process: light, and it answers unknown streams as Kinesis does.
const env = useEnv({ kinesis: 'kinesalite' })
let denier: Server | undefined
let denierEndpoint = ''
let closedEndpoint = ''

const NO_STACK = /^\s+at /m

beforeAll(async () => {
  await createStream(env.kinesis, 'orders', 2)
  // A fake AWS endpoint that refuses everything, as IAM does for credentials without the right
  // policy: the emulators accept any credentials, so this is the only way to see the refusal.
  denier = createServer((req, res) => {
    req.resume()
    req.on('end', () => {
      const body = JSON.stringify({
        __type: 'AccessDeniedException',
        message:
          'User: arn:aws:iam::123456789012:user/intern is not authorized to perform this action',
      })
      res.writeHead(400, {
        'content-type': 'application/x-amz-json-1.1',
        'content-length': Buffer.byteLength(body),
      })
      res.end(body)
    })
  })
  await new Promise<void>((resolve) => denier?.listen(0, '127.0.0.1', resolve))
  denierEndpoint = `http://127.0.0.1:${(denier.address() as AddressInfo).port}`
  // A port nobody listens on: bind one, note it, close it.
  const probe = createServer()
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve))
  closedEndpoint = `http://127.0.0.1:${(probe.address() as AddressInfo).port}`
  await new Promise((resolve) => probe.close(resolve))
})

afterAll(async () => {
  killRunning()
  await new Promise((resolve) =>
    denier === undefined ? resolve(undefined) : denier.close(resolve),
  )
})

const local = (): string[] => [
  '--endpoint',
  env.kinesisEndpoint,
  '--dynamodb-endpoint',
  env.dynamoEndpoint,
]

/** The run failed with `code`, said `text` on stderr, printed nothing on stdout and no stack. */
function expectFailure(run: KineRun, code: number, ...texts: (string | RegExp)[]): void {
  expect(run.code, run.stderr).toBe(code)
  for (const text of texts) {
    if (typeof text === 'string') expect(run.stderr).toContain(text)
    else expect(run.stderr).toMatch(text)
  }
  expect(run.stderr).not.toMatch(NO_STACK)
  expect(run.stdout).toBe('')
}

describe('errors', () => {
  it('an unknown stream, for ls and pull', async () => {
    expectFailure(
      await runKine(['ls', 'nope', ...local()]),
      1,
      'stream "nope" does not exist',
      'region us-east-1',
      'Check the name, --region and --profile',
    )
    expectFailure(
      await runKine(['pull', 'nope', '-t', 'TRIM_HORIZON', ...local()]),
      1,
      'stream "nope" does not exist',
    )
  })

  it('an unknown shard names the shards there are', async () => {
    expectFailure(
      await runKine(['pull', 'orders', '-i', 'shardId-000000000042', ...local()]),
      1,
      'stream "orders" has no shard shardId-000000000042; its shards are shardId-000000000000, shardId-000000000001',
    )
  })

  it('no credentials anywhere', async () => {
    const none = {
      AWS_ACCESS_KEY_ID: undefined,
      AWS_SECRET_ACCESS_KEY: undefined,
      AWS_SESSION_TOKEN: undefined,
      AWS_PROFILE: undefined,
    }
    const hint = 'Set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, pass --profile <name>'
    expectFailure(
      await runKine(['ls', 'orders', ...local()], { env: none }),
      1,
      'no AWS credentials found',
      hint,
    )
    expectFailure(
      await runKine(['leases', 'app', ...local()], { env: none }),
      1,
      'no AWS credentials found',
      hint,
    )
    expectFailure(
      await runKine(['pull', 'orders', '--profile', 'ghost', ...local()], { env: none }),
      1,
      'no AWS credentials found for profile "ghost"',
    )
  })

  it('access denied, for Kinesis and DynamoDB', async () => {
    expectFailure(
      await runKine(['ls', 'orders', '--endpoint', denierEndpoint]),
      1,
      'access denied to stream "orders"',
      'is not authorized',
      'check the IAM policy',
    )
    expectFailure(
      await runKine(['leases', 'app', '--dynamodb-endpoint', denierEndpoint]),
      1,
      'access denied to lease table "app"',
      'check the IAM policy',
    )
  })

  it('an endpoint nobody answers at', async () => {
    expectFailure(
      await runKine(['ls', 'orders', '--endpoint', closedEndpoint]),
      1,
      `could not reach AWS at ${closedEndpoint}`,
      'ECONNREFUSED',
    )
  })

  it('bad flag values list the allowed ones', async () => {
    const cases: [string[], string][] = [
      [
        ['-t', 'FOO'],
        'Expected --type=FOO to be one of: LATEST, TRIM_HORIZON, AT_TIMESTAMP, AT_SEQUENCE_NUMBER',
      ],
      [['-z', 'warp'], 'Expected --speed=warp to be one of: slow, normal, fast'],
      [['--format', 'xml'], 'Expected --format=xml to be one of: text, base64, json'],
      [['--max', '0'], 'Expected an integer greater than or equal to 1'],
      [['--endpoint', 'localhost'], '"localhost" is not a URL'],
    ]
    for (const [flags, message] of cases) {
      expectFailure(await runKine(['pull', 'orders', ...flags]), 2, message)
    }
  })

  it('flags that need each other', async () => {
    expectFailure(
      await runKine(['pull', 'orders', '-t', 'AT_TIMESTAMP', ...local()]),
      2,
      '-t AT_TIMESTAMP needs -d <timestamp>',
    )
    expectFailure(
      await runKine(['pull', 'orders', '-t', 'AT_TIMESTAMP', '-d', 'yesterday', ...local()]),
      2,
      '-d "yesterday" is not a timestamp',
    )
    // Every problem at once, not one a run.
    expectFailure(
      await runKine([
        'pull',
        'orders',
        '-t',
        'AT_SEQUENCE_NUMBER',
        '-d',
        '1499476500000',
        ...local(),
      ]),
      2,
      '-d is only used with -t AT_TIMESTAMP',
      '-t AT_SEQUENCE_NUMBER needs -s <sequence number>',
      'give exactly one -i <shard id>',
    )
  })

  it('--debug adds the stack trace; --json puts the error on stdout as JSON', async () => {
    const debug = await runKine(['ls', 'nope', '--debug', ...local()])
    expect(debug.code).toBe(1)
    expect(debug.stderr).toContain('stream "nope" does not exist')
    expect(debug.stderr).toMatch(NO_STACK)

    const json = await runKine(['ls', 'nope', '--json', ...local()])
    expect(json.code).toBe(1)
    const parsed = JSON.parse(json.stdout) as { error: { code: string; message: string } }
    expect(parsed.error.code).toBe('STREAM_NOT_FOUND')
    expect(parsed.error.message).toContain('stream "nope" does not exist')
  })

  it('--help shows examples', async () => {
    for (const command of ['ls', 'pull', 'leases']) {
      const run = await runKine([command, '--help'])
      expect(run.code).toBe(0)
      expect(run.stdout).toContain('EXAMPLES')
      expect(run.stdout).toContain(`$ kine ${command} `)
      expect(run.stdout).toContain('--endpoint')
    }
  })
})
