import { describe, expect, it } from 'vitest'
import { InvalidConfigError } from './errors.js'
import { OptionsValidator } from './validate.js'

function problemsOf(run: () => void): readonly string[] {
  try {
    run()
  } catch (error) {
    if (error instanceof InvalidConfigError) return error.problems
    throw error
  }
  return []
}

describe('OptionsValidator', () => {
  it('passes valid options without throwing', () => {
    const options = {
      streamName: 'orders',
      leaseDurationMs: 10_000,
      maxLeases: 0,
      initialPosition: 'LATEST',
      signal: new AbortController().signal,
      dynamodb: { send: () => undefined },
      onError: () => undefined,
      ratio: 0.5,
      verbose: false,
      shardIds: ['shardId-0'],
    }
    expect(() =>
      new OptionsValidator('worker options', options)
        .nonEmptyString('streamName')
        .positiveInteger('leaseDurationMs')
        .nonNegativeInteger('maxLeases')
        .oneOf('initialPosition', ['TRIM_HORIZON', 'LATEST'])
        .abortSignal('signal')
        .withMethods('dynamodb', ['send'])
        .func('onError')
        .number('ratio', { min: 0, max: 1 })
        .boolean('verbose')
        .stringArray('shardIds', { minLength: 1 })
        .throwIfInvalid(),
    ).not.toThrow()
  })

  it('lists every problem in one InvalidConfigError, not only the first', () => {
    let error: unknown
    try {
      new OptionsValidator('worker options', {
        streamName: '',
        leaseDurationMs: 0,
        maxLeases: -1,
        initialPosition: 'EARLIEST',
        signal: { aborted: 'no' },
        dynamodb: {},
        onError: 'log',
        ratio: 2,
        verbose: 'yes',
        shardIds: [],
      })
        .nonEmptyString('streamName')
        .positiveInteger('leaseDurationMs')
        .nonNegativeInteger('maxLeases')
        .oneOf('initialPosition', ['TRIM_HORIZON', 'LATEST'])
        .abortSignal('signal')
        .withMethods('dynamodb', ['send'])
        .func('onError')
        .number('ratio', { min: 0, max: 1 })
        .boolean('verbose')
        .stringArray('shardIds', { minLength: 1 })
        .nonEmptyString('tableName')
        .throwIfInvalid()
    } catch (e) {
      error = e
    }
    expect(error).toBeInstanceOf(InvalidConfigError)
    const config = error as InvalidConfigError
    expect(config.code).toBe('INVALID_CONFIG')
    expect(config.problems).toEqual([
      'streamName: expected a non-empty string, got ""',
      'leaseDurationMs: expected a positive integer, got 0',
      'maxLeases: expected a non-negative integer, got -1',
      'initialPosition: expected one of "TRIM_HORIZON", "LATEST", got "EARLIEST"',
      'signal: expected an AbortSignal, got an object',
      'dynamodb: expected an object with method send, got an object',
      'onError: expected a function, got "log"',
      'ratio: expected a finite number from 0 to 1, got 2',
      'verbose: expected true or false, got "yes"',
      'shardIds: expected an array of at least 1 non-empty string, got an array of 0',
      'tableName: required, expected a non-empty string',
    ])
    expect(config.message).toMatch(/^invalid worker options:\n {2}- streamName/)
  })

  it('lets optional options be absent, but not wrong', () => {
    const problems = problemsOf(() =>
      new OptionsValidator('sync options', { intervalMs: 1.5 })
        .positiveInteger('intervalMs', { optional: true })
        .positiveInteger('graceMs', { optional: true })
        .abortSignal('signal', { optional: true })
        .throwIfInvalid(),
    )
    expect(problems).toEqual(['intervalMs: expected a positive integer, got 1.5'])
  })

  it('refuses integers beyond Number.MAX_SAFE_INTEGER and non-finite numbers', () => {
    const problems = problemsOf(() =>
      new OptionsValidator('x', { a: 2 ** 53, b: Number.POSITIVE_INFINITY, c: Number.NaN })
        .positiveInteger('a')
        .number('b')
        .number('c', { integer: true, min: 1 })
        .throwIfInvalid(),
    )
    expect(problems).toEqual([
      'a: expected a positive integer, got 9007199254740992',
      'b: expected a finite number, got Infinity',
      'c: expected an integer of at least 1, got NaN',
    ])
  })

  it('reports a missing options object once instead of every field', () => {
    for (const options of [undefined, null, 'orders', ['orders']]) {
      const problems = problemsOf(() =>
        new OptionsValidator('worker options', options)
          .nonEmptyString('streamName')
          .withMethods('dynamodb', ['send'])
          .throwIfInvalid(),
      )
      expect(problems).toHaveLength(1)
      expect(problems[0]).toMatch(/^expected an options object, got /)
    }
  })

  it('takes rules across options through check() and add()', () => {
    const options = { minMs: 10, maxMs: 5 }
    const v = new OptionsValidator('backoff options', options)
    const problems = problemsOf(() =>
      v
        .check(options.minMs <= options.maxMs, 'minMs: must not exceed maxMs')
        .check(true, 'never reported')
        .add('custom: something else')
        .throwIfInvalid(),
    )
    expect(problems).toEqual(['minMs: must not exceed maxMs', 'custom: something else'])
    expect(v.problems).toEqual(problems)
    expect(v.value('maxMs')).toBe(5)
  })

  it('accepts an AbortSignal by shape, so one from another copy of Node or a polyfill passes', () => {
    const lookalike = { aborted: false, addEventListener: () => undefined, reason: undefined }
    expect(() =>
      new OptionsValidator('x', { signal: lookalike }).abortSignal('signal').throwIfInvalid(),
    ).not.toThrow()
    expect(() =>
      new OptionsValidator('x', { signal: AbortSignal.abort() })
        .abortSignal('signal')
        .throwIfInvalid(),
    ).not.toThrow()
  })

  it('describes values briefly: long strings cut, class names shown, no object dumps', () => {
    class FakeClient {}
    const problems = problemsOf(() =>
      new OptionsValidator('x', { client: new FakeClient(), name: 'x'.repeat(100), n: 10n })
        .withMethods('client', ['send', 'destroy'])
        .oneOf('name', ['a'])
        .positiveInteger('n')
        .throwIfInvalid(),
    )
    expect(problems).toEqual([
      'client: expected an object with methods send, destroy, got an object (FakeClient)',
      `name: expected one of "a", got "${'x'.repeat(57)}..."`,
      'n: expected a positive integer, got 10n',
    ])
  })
})
