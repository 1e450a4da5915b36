// A small Logger for people without pino: one line per entry on stderr, structured fields as JSON.
// Used for the original library's `verbose: true` and by tools.

import type { LogFn, Logger } from './logger.js'

export type LogLevel = 'trace' | 'debug' | 'info' | 'warn' | 'error'
const ORDER: Record<LogLevel, number> = { trace: 10, debug: 20, info: 30, warn: 40, error: 50 }

export interface ConsoleLoggerOptions {
  /** Lowest level written. @defaultValue 'info' */
  readonly level?: LogLevel
  /** Where lines go. @defaultValue process.stderr */
  readonly write?: (line: string) => void
}

/** A Logger writing `time level name message {fields}` lines. */
export function consoleLogger(
  name: string,
  options: ConsoleLoggerOptions = {},
  bindings: Record<string, unknown> = {},
): Logger {
  const min = ORDER[options.level ?? 'info']
  const write = options.write ?? ((line: string) => void process.stderr.write(line))
  const method =
    (level: LogLevel): LogFn =>
    (fieldsOrMessage: Record<string, unknown> | string, message?: string): void => {
      if (ORDER[level] < min) return
      const fields = typeof fieldsOrMessage === 'string' ? {} : fieldsOrMessage
      const text = typeof fieldsOrMessage === 'string' ? fieldsOrMessage : (message ?? '')
      const all = { ...bindings, ...fields }
      const extra = Object.keys(all).length > 0 ? ` ${JSON.stringify(all, errorReplacer)}` : ''
      write(`${new Date().toISOString()} ${level.toUpperCase()} ${name}: ${text}${extra}\n`)
    }
  return {
    trace: method('trace'),
    debug: method('debug'),
    info: method('info'),
    warn: method('warn'),
    error: method('error'),
    child: (more) => consoleLogger(name, options, { ...bindings, ...more }),
  }
}

function errorReplacer(_key: string, value: unknown): unknown {
  if (value instanceof Error)
    return {
      name: value.name,
      message: value.message,
      ...('code' in value ? { code: value.code } : {}),
    }
  if (typeof value === 'bigint') return value.toString()
  return value
}
