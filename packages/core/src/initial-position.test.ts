import { describe, expect, it } from 'vitest'
import { initialSentinel, isInitialPosition } from './initial-position.js'

describe('initial position', () => {
  it('accepts the two sentinels and a timestamp with a valid Date', () => {
    expect(isInitialPosition('TRIM_HORIZON')).toBe(true)
    expect(isInitialPosition('LATEST')).toBe(true)
    expect(isInitialPosition({ timestamp: new Date(0) })).toBe(true)
  })

  it.each([
    ['AT_TIMESTAMP (the stored sentinel, not an option)', 'AT_TIMESTAMP'],
    ['an invalid Date', { timestamp: new Date('nope') }],
    ['a timestamp as a number', { timestamp: 0 }],
    ['null', null],
    ['undefined', undefined],
    ['lower case', 'latest'],
  ])('refuses %s', (_name, value) => {
    expect(isInitialPosition(value)).toBe(false)
  })

  it('stores AT_TIMESTAMP for a timestamp and the sentinel itself otherwise', () => {
    expect(initialSentinel({ timestamp: new Date(0) })).toBe('AT_TIMESTAMP')
    expect(initialSentinel('LATEST')).toBe('LATEST')
    expect(initialSentinel('TRIM_HORIZON')).toBe('TRIM_HORIZON')
  })
})
