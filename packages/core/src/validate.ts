// Up-front option checking for every kine entry point: each check notes a problem and carries on,
// so a user fixing their configuration sees every mistake in one InvalidConfigError, not one a run.

import { InvalidConfigError } from './errors.js'

/** Settings shared by every check of {@link OptionsValidator}. */
interface CheckOptions {
  /**
   * When true, an absent (`undefined`) value passes; anything else present must still be valid.
   * @defaultValue false
   */
  readonly optional?: boolean
}

/** Bounds for {@link OptionsValidator.number}. */
interface NumberCheckOptions extends CheckOptions {
  /**
   * Smallest allowed value (inclusive).
   * @defaultValue no lower bound
   */
  readonly min?: number
  /**
   * Largest allowed value (inclusive).
   * @defaultValue no upper bound
   */
  readonly max?: number
  /**
   * Whether the value must be an integer.
   * @defaultValue false
   */
  readonly integer?: boolean
}

/** Settings for {@link OptionsValidator.stringArray}. */
interface StringArrayCheckOptions extends CheckOptions {
  /**
   * Fewest elements allowed.
   * @defaultValue 0
   */
  readonly minLength?: number
}

/**
 * Collects every problem with an options object, then throws them together.
 *
 * @example
 * ```ts
 * new OptionsValidator('worker options', options)
 *   .nonEmptyString('streamName')
 *   .positiveInteger('leaseDurationMs', { optional: true })
 *   .oneOf('initialPosition', ['TRIM_HORIZON', 'LATEST', 'AT_TIMESTAMP'])
 *   .withMethods('dynamodb', ['send'])
 *   .abortSignal('signal', { optional: true })
 *   .throwIfInvalid()
 * ```
 */
export class OptionsValidator {
  /** What is being validated, as the error message names it (for example `worker options`). */
  readonly subject: string
  readonly #options: Readonly<Record<string, unknown>> | undefined
  readonly #problems: string[] = []

  constructor(subject: string, options: unknown) {
    this.subject = subject
    if (typeof options === 'object' && options !== null && !Array.isArray(options)) {
      this.#options = options as Record<string, unknown>
    } else {
      this.#options = undefined
      // One problem, not one per missing field: the fields cannot be present.
      this.#problems.push(`expected an options object, got ${describe(options)}`)
    }
  }

  /** Every problem noted so far. */
  get problems(): readonly string[] {
    return this.#problems
  }

  /** The value of `key` in the options (undefined when the options are not an object). */
  value(key: string): unknown {
    return this.#options?.[key]
  }

  /** Notes `problem` as it is. */
  add(problem: string): this {
    this.#problems.push(problem)
    return this
  }

  /** Notes `problem` unless `condition` holds: for rules that involve several options. */
  check(condition: boolean, problem: string): this {
    if (!condition) this.#problems.push(problem)
    return this
  }

  /** `key` must be a string of at least one character. */
  nonEmptyString(key: string, options: CheckOptions = {}): this {
    return this.#field(
      key,
      options,
      (v) => typeof v === 'string' && v.length > 0,
      'a non-empty string',
    )
  }

  /** `key` must be an integer ≥ 1 (and at most `Number.MAX_SAFE_INTEGER`). */
  positiveInteger(key: string, options: CheckOptions = {}): this {
    return this.#field(
      key,
      options,
      (v) => typeof v === 'number' && Number.isSafeInteger(v) && v >= 1,
      'a positive integer',
    )
  }

  /** `key` must be an integer ≥ 0 (and at most `Number.MAX_SAFE_INTEGER`). */
  nonNegativeInteger(key: string, options: CheckOptions = {}): this {
    return this.#field(
      key,
      options,
      (v) => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0,
      'a non-negative integer',
    )
  }

  /** `key` must be a finite number within the given bounds. */
  number(key: string, options: NumberCheckOptions = {}): this {
    const { min, max, integer = false } = options
    const expected =
      `${integer ? 'an integer' : 'a finite number'}` +
      (min !== undefined && max !== undefined
        ? ` from ${min} to ${max}`
        : min !== undefined
          ? ` of at least ${min}`
          : max !== undefined
            ? ` of at most ${max}`
            : '')
    return this.#field(
      key,
      options,
      (v) =>
        typeof v === 'number' &&
        Number.isFinite(v) &&
        (!integer || Number.isSafeInteger(v)) &&
        (min === undefined || v >= min) &&
        (max === undefined || v <= max),
      expected,
    )
  }

  /** `key` must be `true` or `false`. */
  boolean(key: string, options: CheckOptions = {}): this {
    return this.#field(key, options, (v) => typeof v === 'boolean', 'true or false')
  }

  /** `key` must be one of `allowed` (compared with `===`). */
  oneOf(key: string, allowed: readonly unknown[], options: CheckOptions = {}): this {
    return this.#field(
      key,
      options,
      (v) => allowed.includes(v),
      `one of ${allowed.map((a) => describe(a)).join(', ')}`,
    )
  }

  /** `key` must be an AbortSignal (from this realm or another: checked by shape). */
  abortSignal(key: string, options: CheckOptions = {}): this {
    return this.#field(
      key,
      options,
      (v) =>
        typeof v === 'object' &&
        v !== null &&
        typeof (v as { aborted?: unknown }).aborted === 'boolean' &&
        typeof (v as { addEventListener?: unknown }).addEventListener === 'function',
      'an AbortSignal',
    )
  }

  /** `key` must be a function. */
  func(key: string, options: CheckOptions = {}): this {
    return this.#field(key, options, (v) => typeof v === 'function', 'a function')
  }

  /**
   * `key` must be an object with each of `methods` as a function (for example an SDK client with
   * `send`, or a logger with `info` and `child`).
   */
  withMethods(key: string, methods: readonly string[], options: CheckOptions = {}): this {
    return this.#field(
      key,
      options,
      (v) =>
        typeof v === 'object' &&
        v !== null &&
        methods.every((m) => typeof (v as Record<string, unknown>)[m] === 'function'),
      `an object with ${methods.length === 1 ? 'method' : 'methods'} ${methods.join(', ')}`,
    )
  }

  /** `key` must be an array of non-empty strings. */
  stringArray(key: string, options: StringArrayCheckOptions = {}): this {
    const minLength = options.minLength ?? 0
    return this.#field(
      key,
      options,
      (v) =>
        Array.isArray(v) &&
        v.length >= minLength &&
        v.every((s) => typeof s === 'string' && s.length > 0),
      minLength > 0
        ? `an array of at least ${minLength} non-empty string${minLength === 1 ? '' : 's'}`
        : 'an array of non-empty strings',
    )
  }

  /** Throws one {@link InvalidConfigError} listing every problem noted, if there is any. */
  throwIfInvalid(): void {
    if (this.#problems.length > 0) throw new InvalidConfigError(this.subject, [...this.#problems])
  }

  #field(
    key: string,
    options: CheckOptions,
    valid: (value: unknown) => boolean,
    expected: string,
  ): this {
    if (this.#options === undefined) return this
    const value = this.#options[key]
    if (value === undefined) {
      if (options.optional !== true) this.#problems.push(`${key}: required, expected ${expected}`)
      return this
    }
    if (!valid(value)) this.#problems.push(`${key}: expected ${expected}, got ${describe(value)}`)
    return this
  }
}

/** A short, safe description of a value for a problem message (never dumps a whole object). */
function describe(value: unknown): string {
  switch (typeof value) {
    case 'string':
      return JSON.stringify(value.length > 60 ? `${value.slice(0, 57)}...` : value)
    case 'number':
    case 'boolean':
    case 'undefined':
      return String(value)
    case 'bigint':
      return `${value}n`
    case 'symbol':
      return value.toString()
    case 'function':
      return 'a function'
    case 'object':
      if (value === null) return 'null'
      if (Array.isArray(value)) return `an array of ${value.length}`
      return `an object${value.constructor?.name && value.constructor.name !== 'Object' ? ` (${value.constructor.name})` : ''}`
  }
}
