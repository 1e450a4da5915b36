import type { KineRecord } from '@kine/core'
import { describe, expect, it } from 'vitest'
import { recordLine } from './record-line.js'

const record = (data: Uint8Array, extra: Partial<KineRecord> = {}): KineRecord => ({
  data,
  partitionKey: 'customer-1',
  sequenceNumber: '49590338271490256608559692538361571095921575989136588898',
  subSequenceNumber: 0,
  approximateArrivalTimestamp: new Date('2026-01-02T03:04:05.678Z'),
  aggregated: false,
  shardId: 'shardId-000000000001',
  ...extra,
})

describe('recordLine', () => {
  const text = new TextEncoder().encode('{"order":42} é')

  it('text: the data as UTF-8, one line', () => {
    expect(recordLine(record(text), 'text')).toBe('{"order":42} é\n')
  })

  it('base64: the data encoded, even when it is a view into a larger buffer', () => {
    const backing = new Uint8Array([0, 0, 104, 105, 0])
    expect(recordLine(record(backing.subarray(2, 4)), 'base64')).toBe('aGk=\n')
  })

  it('json: the metadata, and the data as text when it is UTF-8', () => {
    const line = recordLine(
      record(text, { subSequenceNumber: 3, aggregated: true, explicitHashKey: '123' }),
      'json',
    )
    expect(line.endsWith('\n')).toBe(true)
    expect(JSON.parse(line)).toEqual({
      shardId: 'shardId-000000000001',
      partitionKey: 'customer-1',
      sequenceNumber: '49590338271490256608559692538361571095921575989136588898',
      subSequenceNumber: 3,
      approximateArrivalTimestamp: '2026-01-02T03:04:05.678Z',
      explicitHashKey: '123',
      aggregated: true,
      encoding: 'utf8',
      data: '{"order":42} é',
    })
  })

  it('json: binary data as base64, said so', () => {
    const parsed = JSON.parse(
      recordLine(record(new Uint8Array([0xff, 0xfe, 0x00])), 'json'),
    ) as Record<string, unknown>
    expect(parsed.encoding).toBe('base64')
    expect(parsed.data).toBe('//4A')
  })
})
