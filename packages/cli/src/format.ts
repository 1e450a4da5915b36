// Small formatters for the human-readable output (the --json output keeps raw numbers).

const UNITS = ['B', 'KB', 'MB', 'GB', 'TB'] as const

/** Bytes in powers of 1024 with one decimal above bytes: `512 B`, `1.5 KB`, `12.3 MB`. */
export function formatBytes(bytes: number): string {
  let value = bytes
  let unit = 0
  while (Math.abs(value) >= 1024 && unit < UNITS.length - 1) {
    value /= 1024
    unit += 1
  }
  return unit === 0 ? `${Math.round(value)} B` : `${value.toFixed(1)} ${UNITS[unit]}`
}

/** A share of the hash-key space as a percentage: `50.00%`, `<0.01%` for a sliver. */
export function formatShare(share: number): string {
  if (share > 0 && share < 0.0001) return '<0.01%'
  return `${(share * 100).toFixed(2)}%`
}

/** A duration for people: `0s`, `42s`, `3m 5s`, `2h 10m`, `3d 4h`. */
export function formatDuration(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000))
  if (s < 60) return `${s}s`
  const m = Math.floor(s / 60)
  if (m < 60) return `${m}m ${s % 60}s`
  const h = Math.floor(m / 60)
  if (h < 24) return `${h}h ${m % 60}m`
  return `${Math.floor(h / 24)}d ${h % 24}h`
}
