// Workers as separate OS processes (node on the built dist): a SIGKILLed process's shards resume on
// the other within F + S plus slack, nothing is lost, and SIGTERM stops a worker gracefully.
import { spawn, type ChildProcess } from 'node:child_process'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import { readLeases, useEnv, waitFor } from '@kine-tools/testkit'
import { describe, expect, it } from 'vitest'
import { leasedStream, put } from './helpers.js'

const F = 2_000
const S = F / 2
const script = fileURLToPath(new URL('./fixtures/worker-process.mjs', import.meta.url))

const env = useEnv()

interface Proc {
  child: ChildProcess
  leases: number
  stopped: boolean
  exited: Promise<void>
}

function startWorker(
  stream: string,
  table: string,
  id: string,
  seen: { worker: string; data: string }[],
): Proc {
  const child = spawn(process.execPath, [script], {
    cwd: fileURLToPath(new URL('..', import.meta.url)),
    env: {
      ...process.env,
      KINESIS_ENDPOINT: env.kinesisEndpoint,
      DYNAMO_ENDPOINT: env.dynamoEndpoint,
      STREAM: stream,
      TABLE: table,
      WORKER_ID: id,
      LEASE_MS: String(F),
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  })
  const proc: Proc = {
    child,
    leases: 0,
    stopped: false,
    exited: new Promise((resolve) => child.once('exit', () => resolve())),
  }
  createInterface({ input: child.stdout }).on('line', (line) => {
    const msg = JSON.parse(line) as { type: string; n?: number; data?: string }
    if (msg.type === 'record') seen.push({ worker: id, data: msg.data! })
    else if (msg.type === 'leases') proc.leases = msg.n!
    else if (msg.type === 'stopped') proc.stopped = true
  })
  return proc
}

describe('workers in separate processes', () => {
  it('SIGKILL: the survivor takes over within F + S plus slack, nothing lost; SIGTERM releases', async () => {
    const { stream, table } = await leasedStream(env, 'procs', 4)
    const seen: { worker: string; data: string }[] = []
    const procs = [startWorker(stream, table, 'p1', seen), startWorker(stream, table, 'p2', seen)]
    try {
      await waitFor('2 and 2', () => procs.every((p) => p.leases === 2), 30_000)
      const sent = await put(env, stream, 'before', 40)
      await waitFor(
        'first records',
        () => sent.every((d) => seen.some((s) => s.data === d)),
        10_000,
      )
      const [victim, survivor] = procs as [Proc, Proc]
      victim.child.kill('SIGKILL')
      const killedAt = Date.now()
      sent.push(...(await put(env, stream, 'after', 40)))
      const failover = await waitFor('the survivor holds 4', () => survivor.leases === 4, 5 * F)
      console.log(
        `multi-process failover after SIGKILL: ${Date.now() - killedAt} ms (F=${F}, S=${S})`,
      )
      expect(failover).toBeLessThan(F + S + F)
      await waitFor('every record', () => sent.every((d) => seen.some((s) => s.data === d)), 5 * F)
      console.log(
        `multi-process duplicates after SIGKILL: ${seen.length - new Set(seen.map((s) => s.data)).size}`,
      )
      survivor.child.kill('SIGTERM')
      await survivor.exited
      expect(survivor.stopped).toBe(true)
      const { leases } = await readLeases(env.dynamodb, table)
      for (const lease of leases.values()) expect(lease.leaseOwner).toBeUndefined()
    } finally {
      for (const p of procs)
        if (p.child.exitCode === null && p.child.signalCode === null) p.child.kill('SIGKILL')
      await Promise.all(procs.map((p) => p.exited))
    }
  })
})
