import { describe, expect, it } from 'vitest'
import { consoleLogger } from './console-logger.js'

describe('consoleLogger', () => {
  it('writes one line per entry at or above its level, with bindings and fields as JSON', () => {
    const lines: string[] = []
    const logger = consoleLogger('kine-test', { level: 'info', write: (l) => lines.push(l) })
    logger.debug('hidden')
    logger
      .child({ shardId: 'shardId-000000000001' })
      .warn({ attempt: 2, err: new Error('boom') }, 'retrying')
    logger.info('plain message')
    expect(lines).toHaveLength(2)
    expect(lines[0]).toMatch(
      / WARN kine-test: retrying \{"shardId":"shardId-000000000001","attempt":2,"err":\{"name":"Error","message":"boom"\}\}\n$/,
    )
    expect(lines[1]).toMatch(/ INFO kine-test: plain message\n$/)
  })
})
