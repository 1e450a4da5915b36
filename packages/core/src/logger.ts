// A pino-compatible logger shape: pass a pino logger (or anything with these methods) and kine
// logs structured fields through it; without one, kine is silent.

/** One log method: pino's `(fields, message)` form, or a bare message. */
export interface LogFn {
  (fields: Record<string, unknown>, message?: string): void
  (message: string): void
}

export interface Logger {
  trace: LogFn
  debug: LogFn
  info: LogFn
  warn: LogFn
  error: LogFn
  /** A logger that adds `bindings` to every line (for example `{ shardId }`). */
  child(bindings: Record<string, unknown>): Logger
}

const noop = (): void => {}

/** The default logger: drops everything. */
export const silentLogger: Logger = {
  trace: noop,
  debug: noop,
  info: noop,
  warn: noop,
  error: noop,
  child: () => silentLogger,
}
