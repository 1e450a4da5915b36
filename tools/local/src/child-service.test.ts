import { spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import { createServer as createHttpServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { fileURLToPath } from 'node:url'
import { afterEach, beforeAll, describe, expect, it } from 'vitest'
import { gone, isRunning } from '../test/helpers.js'
import {
  startChild,
  startChildOnFreePorts,
  type ChildService,
  type ChildSpec,
} from './child-service.js'
import { httpProbe } from './http-probe.js'
import { LocalServiceError } from './local-service.js'
import { pickFreePorts } from './ports.js'

// Small node programs stand in for the emulators: each behaviour below (a taken port, an ignored
// SIGTERM, an early crash) is one the real emulators show.
const httpServer = `require('http').createServer((q, s) => s.end('ok')).listen(Number(process.argv[1]), '::')`

function nodeChild(script: string, port: number, extra: Partial<ChildSpec> = {}): ChildSpec {
  return {
    name: 'test-child',
    command: process.execPath,
    args: ['-e', script, String(port)],
    probe: () => httpProbe(port),
    startTimeoutMs: 10_000,
    ...extra,
  }
}

const started: ChildService[] = []
const servers: Server[] = []
afterEach(async () => {
  await Promise.all(started.splice(0).map((s) => s.stop()))
  for (const server of servers.splice(0)) {
    server.close()
    server.closeAllConnections()
  }
})

// Another emulator already on the port, answering the readiness probe as the child would.
function holdPort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createHttpServer((_req, res) => res.end('someone else'))
    servers.push(server)
    server.listen(0, '0.0.0.0', () => resolve((server.address() as AddressInfo).port))
  })
}

describe('startChild', () => {
  it('resolves once the child answers and stop() ends it', async () => {
    const [port = 0] = await pickFreePorts(1)
    const child = await startChild(nodeChild(httpServer, port))
    started.push(child)
    expect(isRunning(child.pid)).toBe(true)
    expect(await httpProbe(port)).toBe(true)
    await child.stop()
    expect(isRunning(child.pid)).toBe(false)
    expect(child.exited).toBe(true)
    await child.stop() // idempotent
  })

  it('kills a child that ignores SIGTERM once the grace period is over', async () => {
    const [port = 0] = await pickFreePorts(1)
    const child = await startChild(
      nodeChild(`process.on('SIGTERM', () => {}); ${httpServer}`, port, { stopGraceMs: 200 }),
    )
    started.push(child)
    await child.stop()
    expect(isRunning(child.pid)).toBe(false)
  })

  it('rejects with the output of a child that exits before it is ready', async () => {
    const [port = 0] = await pickFreePorts(1)
    const error = await startChild(
      nodeChild(`console.error('boom: no config'); process.exit(3)`, port),
    ).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(LocalServiceError)
    expect((error as LocalServiceError).code).toBe('START_FAILED')
    expect((error as LocalServiceError).message).toContain('exit code 3')
    expect((error as LocalServiceError).output).toContain('boom: no config')
  })

  it('rejects after the start timeout and leaves no process behind', async () => {
    const [port = 0] = await pickFreePorts(1)
    let pid = 0
    const error = await startChild(
      nodeChild(`console.log('pid', process.pid); setInterval(() => {}, 1000)`, port, {
        startTimeoutMs: 500,
        stopGraceMs: 200,
      }),
    ).catch((e: unknown) => e)
    expect((error as LocalServiceError).code).toBe('START_TIMEOUT')
    pid = Number(/pid (\d+)/.exec((error as LocalServiceError).output)?.[1])
    expect(pid).toBeGreaterThan(0)
    expect(isRunning(pid)).toBe(false)
  })

  it('rejects when the command does not exist', async () => {
    const error = await startChild({
      name: 'x',
      command: 'kine-no-such-command',
      args: [],
      probe: () => Promise.resolve(true),
    }).catch((e: unknown) => e)
    expect((error as LocalServiceError).code).toBe('START_FAILED')
    expect((error as LocalServiceError).message).toContain('kine-no-such-command')
  })
})

describe('startChildOnFreePorts', () => {
  it('tries new ports when another server answers on the chosen one', async () => {
    const taken = await holdPort()
    const choices: number[][] = []
    const { service, ports } = await startChildOnFreePorts(
      1,
      ([port = 0]) => nodeChild(httpServer, port),
      {
        pickPorts: async (count) => {
          const next = choices.length === 0 ? [taken] : await pickFreePorts(count)
          choices.push(next)
          return next
        },
      },
    )
    started.push(service)
    expect(choices.length).toBe(2)
    expect(ports[0]).not.toBe(taken)
    expect(await httpProbe(ports[0] ?? 0)).toBe(true)
  })

  it('gives up with ADDRESS_IN_USE after the last attempt', async () => {
    const taken = await holdPort()
    const error = await startChildOnFreePorts(1, ([port = 0]) => nodeChild(httpServer, port), {
      attempts: 2,
      pickPorts: () => Promise.resolve([taken]),
    }).catch((e: unknown) => e)
    expect((error as LocalServiceError).code).toBe('ADDRESS_IN_USE')
  })
})

// These run an owner process that starts a child through the built package (dist/), then ends the
// owner without calling stop(), as a crashed or killed test worker would.
const dist = fileURLToPath(new URL('../dist/child-service.js', import.meta.url))

function startOwner(
  port: number,
  then: string,
): Promise<{ owner: ReturnType<typeof spawn>; childPid: number }> {
  const script = `
    import { startChild } from ${JSON.stringify(dist)}
    import { httpProbe } from ${JSON.stringify(dist.replace('child-service.js', 'http-probe.js'))}
    const child = await startChild({
      name: 'grandchild', command: process.execPath,
      args: ['-e', ${JSON.stringify(httpServer)}, '${port}'], probe: () => httpProbe(${port}),
    })
    console.log('child', child.pid)
    ${then}
  `
  const owner = spawn(process.execPath, ['--input-type=module', '-e', script], {
    stdio: ['ignore', 'pipe', 'inherit'],
  })
  return new Promise((resolve, reject) => {
    let out = ''
    owner.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      out += chunk
      const match = /child (\d+)/.exec(out)
      if (match) resolve({ owner, childPid: Number(match[1]) })
    })
    owner.once('exit', (code) =>
      reject(new Error(`owner exited (${code}) before starting its child`)),
    )
  })
}

describe('a child never outlives its owner', () => {
  beforeAll(() => {
    if (!existsSync(dist))
      throw new Error(`${dist} is missing: build first (pnpm --filter @kine-tools/local build)`)
  })

  it('is killed when the owner is SIGKILLed', async () => {
    const [port = 0] = await pickFreePorts(1)
    const { owner, childPid } = await startOwner(port, 'setInterval(() => {}, 1000)')
    expect(isRunning(childPid)).toBe(true)
    owner.kill('SIGKILL')
    expect(await gone(childPid)).toBe(true)
  })

  it('is killed when the owner exits without stopping it', async () => {
    const [port = 0] = await pickFreePorts(1)
    const { childPid } = await startOwner(port, 'setTimeout(() => process.exit(0), 100)')
    expect(await gone(childPid)).toBe(true)
  })
})
