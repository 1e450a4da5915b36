/** The SDK's per-call options for an optional AbortSignal (exactOptionalPropertyTypes forbids `abortSignal: undefined`). */
export function sendOptions(signal: AbortSignal | undefined): { abortSignal?: AbortSignal } {
  return signal === undefined ? {} : { abortSignal: signal }
}
