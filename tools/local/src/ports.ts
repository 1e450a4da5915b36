import { createServer, type Server } from 'node:net'

function listenOnce(host: string): Promise<Server> {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.once('error', reject)
    server.listen({ port: 0, host, exclusive: true }, () => resolve(server))
  })
}

function close(server: Server): Promise<void> {
  return new Promise((resolve) => server.close(() => resolve()))
}

/**
 * Picks `count` distinct ports that are free right now on every interface (the emulators that need
 * a port chosen in advance bind all interfaces). Another process may take one before the emulator
 * binds it: callers retry on `EADDRINUSE`.
 */
export async function pickFreePorts(count: number): Promise<number[]> {
  const servers: Server[] = []
  try {
    for (let i = 0; i < count; i++) {
      // '::' is dual-stack on Linux, so a port taken on IPv4 or IPv6 is skipped.
      servers.push(await listenOnce('::').catch(() => listenOnce('0.0.0.0')))
    }
    return servers.map((s) => {
      const address = s.address()
      if (address === null || typeof address === 'string') throw new Error('no TCP address')
      return address.port
    })
  } finally {
    await Promise.all(servers.map(close))
  }
}
