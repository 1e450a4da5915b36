import type { Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { loopbackHost } from './local-env.js'

/** Listens on an ephemeral loopback port and resolves with it. */
export function listenOnLoopback(server: Server): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject)
    server.listen(0, loopbackHost, () => {
      server.off('error', reject)
      resolve((server.address() as AddressInfo).port)
    })
  })
}

/** Returns an idempotent stop: closes the server and drops its open (kept-alive) connections. */
export function serverStopper(server: Server): () => Promise<void> {
  let stopping: Promise<void> | undefined
  return () =>
    (stopping ??= new Promise<void>((resolve) => {
      // The emulators' close() callbacks may report that their store was already closed: the
      // server is down either way.
      server.close(() => resolve())
      server.closeAllConnections()
    }))
}
