// The AWS Query protocol: form-encoded requests (`MetricData.member.1.Dimensions.member.1.Name=...`)
// and XML responses.

type Tree = { [key: string]: Tree | string }

function insert(root: Tree, path: readonly string[], value: string): void {
  let node = root
  path.forEach((part, i) => {
    if (i === path.length - 1) {
      node[part] = value
      return
    }
    const next = node[part]
    if (typeof next === 'object') {
      node = next
    } else {
      const child: Tree = {}
      node[part] = child
      node = child
    }
  })
}

function byIndex(a: string, b: string): number {
  return Number(a) - Number(b)
}

// Lists arrive as `X.member.N`, maps as `X.entry.N.key` / `X.entry.N.value`.
function shape(node: Tree | string): unknown {
  if (typeof node === 'string') return node
  const keys = Object.keys(node)
  if (keys.length === 1 && keys[0] === 'member') {
    const members = node.member as Tree | string
    if (typeof members === 'string') return [members]
    return Object.keys(members)
      .sort(byIndex)
      .map((k) => shape(members[k] as Tree | string))
  }
  if (keys.length === 1 && keys[0] === 'entry' && typeof node.entry === 'object') {
    const entries = node.entry
    const map: Record<string, unknown> = {}
    for (const k of Object.keys(entries).sort(byIndex)) {
      const entry = entries[k]
      if (typeof entry === 'object' && typeof entry.key === 'string' && entry.value !== undefined)
        map[entry.key] = shape(entry.value)
    }
    return map
  }
  const out: Record<string, unknown> = {}
  for (const key of keys) out[key] = shape(node[key] as Tree | string)
  return out
}

/** Parses a form-encoded Query request: the `Action` and its parameters as nested objects/arrays of strings. */
export function parseQueryRequest(body: string): {
  action: string
  params: Record<string, unknown>
} {
  const form = new URLSearchParams(body)
  const root: Tree = {}
  let action = ''
  for (const [key, value] of form) {
    if (key === 'Action') action = value
    else if (key !== 'Version') insert(root, key.split('.'), value)
  }
  return { action, params: shape(root) as Record<string, unknown> }
}

/** Escapes text for an XML element. */
export function xmlEscape(text: string): string {
  return text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&apos;')
}

/** Fields whose objects are maps (written as `entry` key/value pairs), not structures. */
const mapFields = new Set(['ExtendedStatistics'])

/** Serialises a result value as Query XML: arrays as `member` lists, dates as ISO 8601. */
export function toXml(value: unknown, field = ''): string {
  if (value === undefined || value === null) return ''
  if (value instanceof Date) return value.toISOString()
  if (Array.isArray(value)) return value.map((v) => `<member>${toXml(v)}</member>`).join('')
  if (typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).filter(
      ([, v]) => v !== undefined,
    )
    if (mapFields.has(field))
      return entries
        .map(([k, v]) => `<entry><key>${xmlEscape(k)}</key><value>${toXml(v)}</value></entry>`)
        .join('')
    return entries.map(([k, v]) => `<${k}>${toXml(v, k)}</${k}>`).join('')
  }
  return xmlEscape(typeof value === 'string' ? value : JSON.stringify(value))
}
