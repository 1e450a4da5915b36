// Jittered exponential backoff, shared by every retry loop in kine. "Equal jitter": half the
// exponential step is kept, half is random, so waits grow but retries from many workers spread out.

interface BackoffOptions {
  /** First wait. @defaultValue 100 */
  readonly baseMs?: number
  /** Longest wait. @defaultValue 10_000 */
  readonly capMs?: number
  /** Random source in [0, 1), injectable for tests. @defaultValue Math.random */
  readonly random?: () => number
}

const DEFAULT_BACKOFF_BASE_MS = 100
const DEFAULT_BACKOFF_CAP_MS = 10_000

/** The wait before retry number `attempt` (0 for the first retry): in [step/2, step], step = min(cap, base·2^attempt). */
export function backoffDelay(attempt: number, options: BackoffOptions = {}): number {
  const base = options.baseMs ?? DEFAULT_BACKOFF_BASE_MS
  const cap = options.capMs ?? DEFAULT_BACKOFF_CAP_MS
  const random = options.random ?? Math.random
  const step = Math.min(cap, base * 2 ** Math.min(attempt, 30))
  return step / 2 + random() * (step / 2)
}
