// Sliding one-second windows over event times: the most events (or bytes) that fell in any window.

/**
 * The largest total weight of events in any window `[t, t + windowMs)`, over every `t`
 * (it suffices to start windows at event times). `times` ascending; `weights` default to 1 each.
 */
export function maxInWindow(
  times: readonly number[],
  weights?: readonly number[],
  windowMs = 1000,
): number {
  let best = 0
  let sum = 0
  let end = 0
  for (let start = 0; start < times.length; start++) {
    const limit = (times[start] as number) + windowMs
    while (end < times.length && (times[end] as number) < limit) {
      sum += weights?.[end] ?? 1
      end++
    }
    best = Math.max(best, sum)
    sum -= weights?.[start] ?? 1
  }
  return best
}
