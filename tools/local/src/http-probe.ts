import { request } from 'node:http'
import { loopbackHost } from './local-env.js'

/** Options of {@link httpProbe}. */
export interface HttpProbeOptions {
  /** @defaultValue 'GET' */
  readonly method?: string
  /** @defaultValue '/' */
  readonly path?: string
  /** Status that counts as ready; any status when absent. @defaultValue any */
  readonly status?: number
  /** @defaultValue 1000 */
  readonly timeoutMs?: number
}

/** Resolves true when an HTTP server on the loopback port answers (with `status`, if given). */
export function httpProbe(port: number, options: HttpProbeOptions = {}): Promise<boolean> {
  return new Promise((resolve) => {
    const req = request(
      {
        host: loopbackHost,
        port,
        method: options.method ?? 'GET',
        path: options.path ?? '/',
        agent: false,
        timeout: options.timeoutMs ?? 1000,
      },
      (res) => {
        res.resume()
        resolve(options.status === undefined || res.statusCode === options.status)
      },
    )
    req.on('timeout', () => req.destroy())
    req.on('error', () => resolve(false))
    req.end()
  })
}
