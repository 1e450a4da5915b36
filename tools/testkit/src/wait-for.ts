// Polling for a condition that other processes or timers make true.

/**
 * Resolves with the milliseconds it took once `predicate` holds, polling every `pollMs`; rejects
 * after `timeoutMs`, naming `what` it waited for.
 */
export async function waitFor(
  what: string,
  predicate: () => boolean | Promise<boolean>,
  timeoutMs = 20_000,
  pollMs = 25,
): Promise<number> {
  const start = Date.now()
  for (;;) {
    if (await predicate()) return Date.now() - start
    if (Date.now() - start > timeoutMs)
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)
    await new Promise((r) => setTimeout(r, pollMs))
  }
}
