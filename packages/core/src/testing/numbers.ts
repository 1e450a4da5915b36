// DynamoDB numbers (`N`) are decimal strings of up to 38 significant digits: compared and added
// exactly here (BigInt mantissa and a power of ten), never through a float that would lose digits.

import { validationError } from './errors.js'

interface Decimal {
  readonly mantissa: bigint
  readonly exponent: number
}

const NUMBER = /^([+-]?)(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+))?$/

export function parseNumber(text: string): Decimal {
  const match = NUMBER.exec(text.trim())
  const int = match?.[2] ?? ''
  const frac = match?.[3] ?? ''
  if (match === null || int.length + frac.length === 0) {
    throw validationError(`The parameter cannot be converted to a numeric value: ${text}`)
  }
  const sign = match[1] === '-' ? -1n : 1n
  const exponent = Number(match[4] ?? '0') - frac.length
  return normalize({ mantissa: sign * BigInt(int + frac || '0'), exponent })
}

function normalize(d: Decimal): Decimal {
  let { mantissa, exponent } = d
  if (mantissa === 0n) return { mantissa, exponent: 0 }
  while (mantissa % 10n === 0n) {
    mantissa /= 10n
    exponent += 1
  }
  return { mantissa, exponent }
}

function align(a: Decimal, b: Decimal): [bigint, bigint, number] {
  const exponent = Math.min(a.exponent, b.exponent)
  return [
    a.mantissa * 10n ** BigInt(a.exponent - exponent),
    b.mantissa * 10n ** BigInt(b.exponent - exponent),
    exponent,
  ]
}

export function compareNumbers(a: string, b: string): number {
  const [x, y] = align(parseNumber(a), parseNumber(b))
  return x < y ? -1 : x > y ? 1 : 0
}

export function addNumbers(a: string, b: string, sign: 1 | -1 = 1): string {
  const [x, y, exponent] = align(parseNumber(a), parseNumber(b))
  return formatNumber(normalize({ mantissa: x + BigInt(sign) * y, exponent }))
}

/** The canonical form DynamoDB hands back (`"01.50"` is returned as `"1.5"`). */
export function canonicalNumber(text: string): string {
  return formatNumber(parseNumber(text))
}

/**
 * The bytes DynamoDB stores a number in: one per pair of significant digits, the pairs aligned on
 * the decimal point (base 100), plus one, plus one more when negative (dynalite's model of it).
 */
export function numberBytes(text: string): number {
  const { mantissa, exponent } = parseNumber(text)
  if (mantissa === 0n) return 1
  const digits = (mantissa < 0n ? -mantissa : mantissa).toString().length
  // Power of ten of the leading digit; an even one starts a pair with a single digit.
  const lead = exponent + digits - 1
  const pairs = Math.ceil((digits + (lead % 2 === 0 ? 1 : 0)) / 2)
  return 1 + pairs + (mantissa < 0n ? 1 : 0)
}

function formatNumber({ mantissa, exponent }: Decimal): string {
  const negative = mantissa < 0n
  const digits = (negative ? -mantissa : mantissa).toString()
  let text: string
  if (exponent >= 0) text = digits + '0'.repeat(exponent)
  else {
    const padded = digits.padStart(-exponent + 1, '0')
    text = `${padded.slice(0, exponent)}.${padded.slice(exponent)}`
  }
  return negative ? `-${text}` : text
}
