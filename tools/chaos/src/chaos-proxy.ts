// A fault-injecting HTTP/1.1 proxy on 127.0.0.1 in front of one AWS JSON-protocol emulator
// (Kinesis or DynamoDB): SDK clients take its endpoint as they would the emulator's, and each
// request either passes through or meets the fault its FaultPlan picks (throttles, 5xx, resets,
// truncated bodies, delays, hung requests, 200s missing a field). Whole-service outages are
// switched on and off programmatically: connections refused (the port closed), reset, or held.
import {
  Agent,
  createServer,
  request as httpRequest,
  type IncomingMessage,
  type ServerResponse,
} from 'node:http'
import type { Socket } from 'node:net'
import { gunzipSync } from 'node:zlib'
import { jsonContentType, parseAwsTarget, type AwsTarget } from './aws-target.js'
import { crc32 } from './crc32.js'
import { errorBody, serverErrorAnswer, throttleAnswer, type ErrorAnswer } from './error-answers.js'
import {
  defaultMalformedField,
  FaultPlan,
  type FaultKind,
  type FaultRule,
  type RuleHandle,
} from './fault-rules.js'
import { dropField } from './malformed.js'

/** How a whole-service outage looks to a client. */
export type OutageMode =
  /** The port is closed: connections are refused (ECONNREFUSED); open ones are destroyed. */
  | 'refuse'
  /** Connections are accepted and destroyed at once (ECONNRESET). */
  | 'reset'
  /** Requests are accepted and never answered until the outage ends (then their sockets close). */
  | 'hang'

/** Options of {@link startChaosProxy}. */
export interface ChaosProxyOptions {
  /** The emulator's endpoint, `http://127.0.0.1:<port>`. */
  readonly upstream: string
  /** Seed of the fault decisions. @defaultValue 1 */
  readonly seed?: number
  /** Rules in force from the start. @defaultValue none */
  readonly rules?: readonly FaultRule[]
  /** A name for the injection log. @defaultValue the upstream's port */
  readonly name?: string
}

/** One fault the proxy injected. */
export interface InjectedFault {
  /** ms since the proxy started */
  readonly atMs: number
  readonly operation: string
  readonly kind: FaultKind | 'outage'
  readonly label: string
}

export interface ChaosProxy {
  /** `http://127.0.0.1:<port>`: give it to an SDK client as its endpoint. */
  readonly endpoint: string
  readonly port: number
  readonly name: string
  /** Replaces the rules (their windows start now). */
  setRules(rules: readonly FaultRule[]): RuleHandle[]
  /** Adds one rule after the others (its window starts now). */
  addRule(rule: FaultRule): RuleHandle
  clearRules(): void
  /** Starts a whole-service outage; resolves once it is in force. */
  startOutage(mode: OutageMode): Promise<void>
  /** Ends the outage; resolves once requests are served again. */
  endOutage(): Promise<void>
  /** Every fault injected so far, in order. */
  readonly injected: readonly InjectedFault[]
  /** Injected faults counted by `operation kind`. */
  counts(): Record<string, number>
  /** Requests seen, by operation. */
  requests(): Record<string, number>
  /** Closes the port and every connection. Idempotent. */
  stop(): Promise<void>
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms))

function readBody(stream: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = []
    stream.on('data', (c: Buffer) => chunks.push(c))
    stream.once('end', () => resolve(Buffer.concat(chunks)))
    stream.once('error', reject)
    stream.once('aborted', () => reject(new Error('aborted')))
  })
}

interface UpstreamAnswer {
  readonly status: number
  readonly headers: Record<string, string | string[]>
  readonly body: Buffer
}

/** Starts a proxy for `options.upstream` on an ephemeral 127.0.0.1 port. */
export async function startChaosProxy(options: ChaosProxyOptions): Promise<ChaosProxy> {
  const upstream = new URL(options.upstream)
  const started = performance.now()
  const plan = new FaultPlan(options.seed ?? 1)
  for (const r of options.rules ?? []) plan.add(r)
  const agent = new Agent({ keepAlive: true, maxSockets: 64 })
  const sockets = new Set<Socket>()
  const held = new Set<Socket>()
  const injected: InjectedFault[] = []
  const counts: Record<string, number> = {}
  const requests: Record<string, number> = {}
  let outage: OutageMode | undefined
  let stopped = false

  const note = (operation: string, kind: InjectedFault['kind'], label: string): void => {
    injected.push({ atMs: Math.round(performance.now() - started), operation, kind, label })
    const key = `${operation} ${label}`
    counts[key] = (counts[key] ?? 0) + 1
  }

  const forward = (req: IncomingMessage, body: Buffer): Promise<UpstreamAnswer> =>
    new Promise((resolve, reject) => {
      const up = httpRequest(
        {
          host: upstream.hostname,
          port: upstream.port,
          method: req.method,
          path: req.url,
          headers: req.headers,
          agent,
        },
        (res) => {
          readBody(res).then(
            (b) =>
              resolve({
                status: res.statusCode ?? 502,
                headers: res.headers as Record<string, string | string[]>,
                body: b,
              }),
            reject,
          )
        },
      )
      up.once('error', reject)
      up.end(body)
    })

  const send = (res: ServerResponse, answer: UpstreamAnswer): void => {
    const headers = { ...answer.headers }
    delete headers['transfer-encoding']
    headers['content-length'] = String(answer.body.length)
    res.writeHead(answer.status, headers)
    res.end(answer.body)
  }

  const sendError = (res: ServerResponse, target: AwsTarget, e: ErrorAnswer): void => {
    const body = Buffer.from(errorBody(e))
    res.writeHead(e.status, {
      'content-type': jsonContentType(target.service),
      'content-length': String(body.length),
      'x-amzn-requestid': `chaos-${injected.length}`,
      'x-amzn-errortype': e.type.replace(/^.*#/, ''),
    })
    res.end(body)
  }

  const hold = (socket: Socket, ms: number | undefined): void => {
    held.add(socket)
    socket.once('close', () => held.delete(socket))
    if (ms !== undefined) setTimeout(() => socket.destroy(), ms).unref()
  }

  /** The emulator's answer without `field`, with length and CRC fixed; undefined if unchanged. */
  const malformed = (
    answer: UpstreamAnswer,
    operation: string,
    field = defaultMalformedField(operation),
  ) => {
    if (field === undefined || answer.status !== 200) return undefined
    let raw = answer.body
    const headers = { ...answer.headers }
    if (headers['content-encoding'] === 'gzip') {
      raw = gunzipSync(raw)
      delete headers['content-encoding']
    }
    let parsed: unknown
    try {
      parsed = JSON.parse(raw.toString('utf8'))
    } catch {
      return undefined
    }
    if (!dropField(parsed, field)) return undefined
    const body = Buffer.from(JSON.stringify(parsed))
    // The DynamoDB client verifies this checksum: recompute it for the new body.
    if (headers['x-amz-crc32'] !== undefined) headers['x-amz-crc32'] = String(crc32(body))
    return { answer: { ...answer, headers, body }, field }
  }

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const body = await readBody(req)
    const target = parseAwsTarget(req.headers['x-amz-target'])
    const op = target?.operation ?? `${req.method ?? '?'} ${req.url ?? ''}`
    requests[op] = (requests[op] ?? 0) + 1
    if (outage === 'hang') {
      note(op, 'outage', 'outage hang')
      hold(req.socket, undefined)
      return
    }
    const decision = target === undefined ? undefined : plan.decide(target)
    if (target === undefined || decision === undefined) {
      send(res, await forward(req, body))
      return
    }
    const { fault, label } = decision
    switch (fault.kind) {
      case 'throttle':
        note(op, fault.kind, label)
        sendError(res, target, throttleAnswer(target.service, op, fault.errorName))
        return
      case 'server-error':
        note(op, fault.kind, label)
        sendError(res, target, serverErrorAnswer(target.service, fault.status ?? 500))
        return
      case 'reset':
        if (fault.afterUpstream === true) await forward(req, body)
        note(op, fault.kind, label)
        req.socket.destroy()
        return
      case 'hang':
        note(op, fault.kind, label)
        hold(req.socket, fault.ms)
        return
      case 'delay':
        note(op, fault.kind, label)
        await sleep(fault.ms)
        send(res, await forward(req, body))
        return
      case 'truncate': {
        const answer = await forward(req, body)
        note(op, fault.kind, label)
        const headers = { ...answer.headers }
        delete headers['transfer-encoding']
        headers['content-length'] = String(answer.body.length)
        res.writeHead(answer.status, headers)
        res.write(answer.body.subarray(0, Math.floor(answer.body.length / 2)))
        // Let the half body leave before the connection dies mid-response.
        setTimeout(() => req.socket.destroy(), 5)
        return
      }
      case 'malformed': {
        const answer = await forward(req, body)
        const changed = malformed(answer, op, fault.field)
        if (changed === undefined) {
          send(res, answer)
          return
        }
        note(op, fault.kind, `${label} -${changed.field}`)
        send(res, changed.answer)
        return
      }
    }
  }

  const server = createServer({ keepAlive: true }, (req, res) => {
    handle(req, res).catch(() => {
      // The emulator failed or the client went away: the client sees what a broken network shows.
      req.socket.destroy()
    })
  })
  server.on('connection', (socket) => {
    if (outage === 'reset') {
      socket.destroy()
      return
    }
    sockets.add(socket)
    socket.once('close', () => sockets.delete(socket))
  })
  // Clients on keep-alive sockets would otherwise see an idle socket closed after 5 s, at random.
  server.keepAliveTimeout = 60_000

  const listen = (port: number): Promise<void> =>
    new Promise((resolve, reject) => {
      server.once('error', reject)
      server.listen(port, '127.0.0.1', () => {
        server.off('error', reject)
        resolve()
      })
    })
  await listen(0)
  const address = server.address()
  if (address === null || typeof address === 'string') throw new Error('proxy has no port')
  const port = address.port
  const closeServer = (): Promise<void> =>
    new Promise((resolve) => {
      server.close(() => resolve())
      for (const s of sockets) s.destroy()
    })

  const endOutage = async (): Promise<void> => {
    const was = outage
    if (was === undefined) return
    outage = undefined
    for (const s of held) s.destroy()
    if (was === 'refuse' && !stopped) {
      // Re-open the same port: the clients know no other. Retry briefly if the port is taken.
      for (let attempt = 0; ; attempt++) {
        try {
          await listen(port)
          break
        } catch (error) {
          if (attempt >= 50) throw error
          await sleep(100)
        }
      }
    }
    note('*', 'outage', `outage ${was} ends`)
  }

  return {
    endpoint: `http://127.0.0.1:${port}`,
    port,
    name: options.name ?? String(upstream.port),
    setRules: (rules) => plan.set(rules),
    addRule: (rule) => plan.add(rule),
    clearRules: () => plan.clear(),
    injected,
    counts: () => ({ ...counts }),
    requests: () => ({ ...requests }),
    async startOutage(mode) {
      if (outage !== undefined) await endOutage()
      outage = mode
      note('*', 'outage', `outage ${mode} begins`)
      if (mode === 'refuse') await closeServer()
      else if (mode === 'reset') for (const s of sockets) s.destroy()
    },
    endOutage,
    async stop() {
      if (stopped) return
      stopped = true
      plan.clear()
      for (const s of held) s.destroy()
      if (server.listening) await closeServer()
      agent.destroy()
    },
  }
}
