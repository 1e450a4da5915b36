import { randomUUID } from 'node:crypto'
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import { promisify } from 'node:util'
import { gunzip } from 'node:zlib'
import {
  decodeRequest,
  detectProtocol,
  encodeError,
  encodeResult,
  MalformedRequestError,
  type EncodedResponse,
} from './cloudwatch-codec.js'
import {
  InvalidRequestError,
  normalizeGetMetricStatistics,
  normalizePutMetricData,
} from './cloudwatch-normalize.js'
import type {
  CloudWatchProtocol,
  ReceivedDatum,
  ReceivedGetMetricStatistics,
  ReceivedPutMetricData,
  RejectedRequest,
  StatisticsDatapoint,
} from './cloudwatch-types.js'
import { listenOnLoopback, serverStopper } from './in-process-server.js'
import { loopbackEndpoint } from './local-env.js'
import type { LocalService } from './local-service.js'

const gunzipAsync = promisify(gunzip)
const maxBodyBytes = 16 * 1024 * 1024

/** What GetMetricStatistics answers for a request. */
export type StatisticsAnswer = (
  input: ReceivedGetMetricStatistics,
) => readonly StatisticsDatapoint[] | Promise<readonly StatisticsDatapoint[]>

/** Options of {@link startCloudWatch}. */
export interface StartCloudWatchOptions {
  /** Called with each accepted PutMetricData, after it is recorded. @defaultValue none */
  readonly onPutMetricData?: (request: ReceivedPutMetricData) => void
  /** Keep only this many most recent requests (a long-running demo). @defaultValue Infinity */
  readonly retain?: number
}

/** Options of {@link CloudWatchReceiver.waitFor}. */
export interface WaitForOptions {
  /** @defaultValue 10000 */
  readonly timeoutMs?: number
}

/** A local stand-in for CloudWatch's metric API: records PutMetricData, answers GetMetricStatistics. */
export interface CloudWatchReceiver extends LocalService {
  /** Every accepted PutMetricData, decoded, in arrival order. */
  readonly requests: readonly ReceivedPutMetricData[]
  /** Every GetMetricStatistics received, in arrival order. */
  readonly statisticsRequests: readonly ReceivedGetMetricStatistics[]
  /** Requests answered with an error (by {@link CloudWatchReceiver.failNext} or because CloudWatch would refuse them). */
  readonly rejected: readonly RejectedRequest[]
  /** All data of all accepted requests, flattened, in arrival order. */
  metricData(): ReceivedDatum[]
  /** Resolves once `predicate` holds for the data received so far; rejects after the timeout. */
  waitFor(predicate: (data: ReceivedDatum[]) => boolean, options?: WaitForOptions): Promise<void>
  /** Sets what GetMetricStatistics answers (no datapoints until set). */
  setStatistics(answer: StatisticsAnswer): void
  /**
   * Answers the next `count` requests with an error, for retry tests.
   * @param status HTTP status. @defaultValue 500
   * @param code CloudWatch error code. @defaultValue 'Throttling' for 400 and 429, 'ServiceUnavailable' for 503, else 'InternalServiceError'
   */
  failNext(count: number, status?: number, code?: string): void
  /** Forgets every request and pending failure and the statistics answer. */
  clear(): void
}

function defaultCode(status: number): string {
  if (status === 400 || status === 429) return 'Throttling'
  if (status === 503) return 'ServiceUnavailable'
  return 'InternalServiceError'
}

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = []
  let size = 0
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length
    if (size > maxBodyBytes)
      throw new MalformedRequestError(`body larger than ${maxBodyBytes} bytes`)
    chunks.push(chunk)
  }
  return Buffer.concat(chunks)
}

function send(res: ServerResponse, response: EncodedResponse): void {
  res.writeHead(response.status, {
    ...response.headers,
    'content-length': String(response.body.length),
  })
  res.end(response.body)
}

/**
 * Starts the CloudWatch receiver on an ephemeral loopback port. It reads AWS JSON 1.0 (gzip or
 * not), Smithy RPC v2 CBOR and AWS Query requests, told apart by their headers, and answers each
 * in its own protocol so the real SDK client is satisfied.
 */
export async function startCloudWatch(
  options: StartCloudWatchOptions = {},
): Promise<CloudWatchReceiver> {
  const retain = options.retain ?? Number.POSITIVE_INFINITY
  const requests: ReceivedPutMetricData[] = []
  const statisticsRequests: ReceivedGetMetricStatistics[] = []
  const rejected: RejectedRequest[] = []
  const waiters = new Set<() => void>()
  let answer: StatisticsAnswer = () => []
  let failures: { remaining: number; status: number; code: string } = {
    remaining: 0,
    status: 500,
    code: '',
  }

  const metricData = (): ReceivedDatum[] => requests.flatMap((r) => r.MetricData)

  const reject = (
    res: ServerResponse,
    protocol: CloudWatchProtocol | undefined,
    operation: string,
    status: number,
    code: string,
    message: string,
    injected: boolean,
  ): void => {
    rejected.push({ operation, protocol: protocol ?? 'unknown', status, code, message, injected })
    send(res, encodeError(protocol ?? 'json', status, code, message, randomUUID()))
  }

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const path = (req.url ?? '/').split('?')[0] ?? '/'
    const protocol = detectProtocol(req.headers, path)
    let operation = 'unknown'
    try {
      if (req.method !== 'POST')
        throw new MalformedRequestError(`${req.method ?? ''} not supported: CloudWatch takes POST`)
      if (protocol === undefined)
        throw new MalformedRequestError('no CloudWatch protocol recognised in the request headers')
      let body = await readBody(req)
      const compressed = (req.headers['content-encoding'] ?? '').toLowerCase().includes('gzip')
      if (compressed) {
        body = await gunzipAsync(body, { maxOutputLength: maxBodyBytes }).catch(
          (error: unknown) => {
            throw new MalformedRequestError(`gzip body does not inflate: ${String(error)}`)
          },
        )
      }
      const decoded = decodeRequest(protocol, req.headers, path, body)
      operation = decoded.operation
      const requestId = randomUUID()

      if (failures.remaining > 0) {
        failures.remaining--
        reject(
          res,
          protocol,
          operation,
          failures.status,
          failures.code,
          'injected failure (failNext)',
          true,
        )
        return
      }

      switch (operation) {
        case 'PutMetricData': {
          const received = normalizePutMetricData(decoded.params, protocol, compressed, new Date())
          requests.push(received)
          if (requests.length > retain) requests.splice(0, requests.length - retain)
          send(res, encodeResult(protocol, operation, {}, requestId))
          options.onPutMetricData?.(received)
          for (const wake of waiters) wake()
          return
        }
        case 'GetMetricStatistics': {
          const input = normalizeGetMetricStatistics(decoded.params, protocol)
          statisticsRequests.push(input)
          const now = new Date()
          const datapoints = (await answer(input)).map((d) => ({
            ...d,
            Timestamp: d.Timestamp ?? now,
          }))
          send(
            res,
            encodeResult(
              protocol,
              operation,
              { Label: input.MetricName, Datapoints: datapoints },
              requestId,
            ),
          )
          return
        }
        default:
          reject(
            res,
            protocol,
            operation,
            400,
            'InvalidAction',
            `${operation} is not supported by the local CloudWatch receiver`,
            false,
          )
      }
    } catch (error) {
      if (error instanceof InvalidRequestError)
        reject(res, protocol, operation, 400, error.code, error.message, false)
      else if (error instanceof MalformedRequestError)
        reject(res, protocol, operation, 400, 'MalformedInput', error.message, false)
      else reject(res, protocol, operation, 500, 'InternalServiceError', String(error), false)
    }
  }

  const server = createServer((req, res) => {
    handle(req, res).catch(() => {
      // The response could not be written (client gone): nothing left to answer.
      res.destroy()
    })
  })
  const port = await listenOnLoopback(server)

  return {
    endpoint: loopbackEndpoint(port),
    port,
    stop: serverStopper(server),
    get requests() {
      return requests
    },
    get statisticsRequests() {
      return statisticsRequests
    },
    get rejected() {
      return rejected
    },
    metricData,
    waitFor(predicate, waitOptions = {}) {
      const timeoutMs = waitOptions.timeoutMs ?? 10_000
      if (predicate(metricData())) return Promise.resolve()
      return new Promise<void>((resolve, reject) => {
        const done = (): void => {
          clearTimeout(timer)
          waiters.delete(check)
        }
        const check = (): void => {
          if (!predicate(metricData())) return
          done()
          resolve()
        }
        const timer = setTimeout(() => {
          done()
          reject(
            new Error(
              `CloudWatch receiver: condition not met within ${timeoutMs} ms (${metricData().length} data received)`,
            ),
          )
        }, timeoutMs)
        waiters.add(check)
      })
    },
    setStatistics(next) {
      answer = next
    },
    failNext(count, status = 500, code) {
      failures = { remaining: count, status, code: code ?? defaultCode(status) }
    },
    clear() {
      requests.length = 0
      statisticsRequests.length = 0
      rejected.length = 0
      failures = { remaining: 0, status: 500, code: '' }
      answer = () => []
    },
  }
}
