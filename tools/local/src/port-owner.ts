import { readdir, readFile, readlink } from 'node:fs/promises'

const listenState = '0A'

async function listeningInodes(port: number): Promise<Set<string> | undefined> {
  const inodes = new Set<string>()
  let found = false
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let text: string
    try {
      text = await readFile(table, 'utf8')
    } catch {
      continue
    }
    found = true
    for (const line of text.split('\n').slice(1)) {
      // sl local_address rem_address st tx_queue:rx_queue tr:tm->when retrnsmt uid timeout inode
      const fields = line.trim().split(/\s+/)
      const local = fields[1]
      if (local === undefined || fields[3] !== listenState) continue
      if (
        Number.parseInt(local.slice(local.lastIndexOf(':') + 1), 16) === port &&
        fields[9] !== undefined
      )
        inodes.add(fields[9])
    }
  }
  return found ? inodes : undefined
}

/**
 * Whether process `pid` itself holds the listening socket on `port`. A readiness probe alone can be
 * answered by another emulator that took the port first (parallel test files pick ports at the
 * same time); this tells the two apart. Resolves true where /proc is missing (not Linux): the probe
 * is all there is then.
 */
export async function listensOn(pid: number, port: number): Promise<boolean> {
  const inodes = await listeningInodes(port)
  if (inodes === undefined) return true
  if (inodes.size === 0) return false
  let fds: string[]
  try {
    fds = await readdir(`/proc/${pid}/fd`)
  } catch {
    return false
  }
  for (const fd of fds) {
    const target = await readlink(`/proc/${pid}/fd/${fd}`).catch(() => '')
    const inode = /^socket:\[(\d+)\]$/.exec(target)?.[1]
    if (inode !== undefined && inodes.has(inode)) return true
  }
  return false
}
