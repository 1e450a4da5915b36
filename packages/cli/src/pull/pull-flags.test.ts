import { InvalidConfigError } from '@kine/core'
import { describe, expect, it } from 'vitest'
import { childPosition, normalizeShardId, parseTimestamp, startPosition } from './pull-flags.js'

describe('parseTimestamp', () => {
  it('reads epoch milliseconds and ISO dates, and refuses the rest', () => {
    expect(parseTimestamp('1499476500000')?.toISOString()).toBe('2017-07-08T01:15:00.000Z')
    expect(parseTimestamp('2017-07-08T01:15:00Z')?.getTime()).toBe(1499476500000)
    expect(parseTimestamp('2017-07-08T03:15:00+02:00')?.getTime()).toBe(1499476500000)
    expect(parseTimestamp('yesterday')).toBeUndefined()
    expect(parseTimestamp('')).toBeUndefined()
  })
})

describe('startPosition', () => {
  it('turns each -t into the reader position', () => {
    expect(startPosition({ type: 'LATEST', shardIds: [] })).toBe('LATEST')
    expect(startPosition({ type: 'TRIM_HORIZON', shardIds: [] })).toBe('TRIM_HORIZON')
    expect(
      startPosition({ type: 'AT_TIMESTAMP', timestamp: '1499476500000', shardIds: [] }),
    ).toEqual({
      type: 'AT_TIMESTAMP',
      timestamp: new Date(1499476500000),
    })
    expect(
      startPosition({
        type: 'AT_SEQUENCE_NUMBER',
        sequenceNumber: '4957',
        shardIds: ['shardId-000000000001'],
      }),
    ).toEqual({
      type: 'AT_SEQUENCE_NUMBER',
      sequenceNumber: '4957',
    })
  })

  it('lists every problem with the flags at once', () => {
    let error: unknown
    try {
      startPosition({
        type: 'AT_SEQUENCE_NUMBER',
        timestamp: 'soon',
        sequenceNumber: '12ab',
        shardIds: [],
      })
    } catch (e) {
      error = e
    }
    expect(error).toBeInstanceOf(InvalidConfigError)
    expect((error as InvalidConfigError).problems).toEqual([
      '-d is only used with -t AT_TIMESTAMP (-t is AT_SEQUENCE_NUMBER)',
      '-d "soon" is not a timestamp: give epoch milliseconds (1499476500000) or an ISO date (2017-07-08T01:15:00Z)',
      '-t AT_SEQUENCE_NUMBER reads one shard (a sequence number belongs to one): give exactly one -i <shard id>',
      '-s "12ab" is not a sequence number (digits only)',
    ])
  })

  it('needs -d with AT_TIMESTAMP and -s with AT_SEQUENCE_NUMBER', () => {
    expect(() => startPosition({ type: 'AT_TIMESTAMP', shardIds: [] })).toThrow(
      '-t AT_TIMESTAMP needs -d <timestamp>',
    )
    expect(() => startPosition({ type: 'AT_SEQUENCE_NUMBER', shardIds: ['a'] })).toThrow(
      '-t AT_SEQUENCE_NUMBER needs -s <sequence number>',
    )
    expect(() => startPosition({ type: 'LATEST', sequenceNumber: '1', shardIds: [] })).toThrow(
      '-s is only used with -t AT_SEQUENCE_NUMBER',
    )
  })
})

describe('normalizeShardId and childPosition', () => {
  it('accepts a shard number for its id', () => {
    expect(normalizeShardId('7')).toBe('shardId-000000000007')
    expect(normalizeShardId('000000000012')).toBe('shardId-000000000012')
    expect(normalizeShardId('shardId-000000000003')).toBe('shardId-000000000003')
  })

  it('starts children at their beginning, or at the timestamp for AT_TIMESTAMP', () => {
    const at = { type: 'AT_TIMESTAMP', timestamp: new Date(5) } as const
    expect(childPosition(at)).toBe(at)
    expect(childPosition('LATEST')).toBe('TRIM_HORIZON')
    expect(childPosition({ type: 'AT_SEQUENCE_NUMBER', sequenceNumber: '1' })).toBe('TRIM_HORIZON')
  })
})
