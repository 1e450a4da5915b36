// Rewriting a well-formed 200 into one that lacks a field the API always returns: the answers a
// client must retry rather than draw a conclusion from (DESIGN.md, "Shard reading").
import type { MalformedField } from './fault-rules.js'

/**
 * Removes `field` from a parsed response body in place; returns whether anything was removed (an
 * answer without the field, or without ChildShards for `ParentShards`, stays as it was).
 */
export function dropField(body: unknown, field: MalformedField): boolean {
  if (typeof body !== 'object' || body === null) return false
  const o = body as Record<string, unknown>
  if (field === 'ParentShards') {
    const children = o.ChildShards
    if (!Array.isArray(children)) return false
    let dropped = false
    for (const c of children as unknown[])
      if (typeof c === 'object' && c !== null && 'ParentShards' in c) {
        delete (c as Record<string, unknown>).ParentShards
        dropped = true
      }
    return dropped
  }
  if (!(field in o)) return false
  delete o[field]
  return true
}
