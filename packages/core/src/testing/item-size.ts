// Item sizes and the capacity units DynamoDB charges for them in on-demand mode, following
// "Item sizes and formats" in the DynamoDB developer guide: an attribute costs the UTF-8 bytes of
// its name plus its value; a number one byte per two significant digits plus one (see numberBytes).

import type { AttributeValue } from '@aws-sdk/client-dynamodb'
import { numberBytes } from './numbers.js'

type Item = Record<string, AttributeValue>

const utf8 = (s: string): number => Buffer.byteLength(s, 'utf8')

function valueSize(v: AttributeValue): number {
  if (v.S !== undefined) return utf8(v.S)
  if (v.N !== undefined) return numberBytes(v.N)
  if (v.B !== undefined) return v.B.byteLength
  if (v.BOOL !== undefined || v.NULL !== undefined) return 1
  if (v.SS !== undefined) return v.SS.reduce((sum, s) => sum + utf8(s), 0)
  if (v.NS !== undefined) return v.NS.reduce((sum, n) => sum + numberBytes(n), 0)
  if (v.BS !== undefined) return v.BS.reduce((sum, b) => sum + b.byteLength, 0)
  if (v.L !== undefined) return 3 + v.L.reduce((sum, e) => sum + 1 + valueSize(e), 0)
  if (v.M !== undefined) {
    return 3 + Object.entries(v.M).reduce((sum, [k, e]) => sum + 1 + utf8(k) + valueSize(e), 0)
  }
  return 0
}

/** The size in bytes DynamoDB bills an item at (0 for no item). */
export function itemSize(item: Item | undefined): number {
  if (item === undefined) return 0
  return Object.entries(item).reduce((sum, [name, v]) => sum + utf8(name) + valueSize(v), 0)
}

/** Write request units: 1 per started KB of the larger of the item before and after, at least 1. */
export function writeUnits(before: Item | undefined, after: Item | undefined): number {
  return Math.max(1, Math.ceil(Math.max(itemSize(before), itemSize(after)) / 1024))
}

/** Read request units for `bytes` read: 1 per started 4 KB (at least 1), half if not consistent. */
export function readUnits(bytes: number, consistent: boolean): number {
  const units = Math.max(1, Math.ceil(bytes / 4096))
  return consistent ? units : units / 2
}
