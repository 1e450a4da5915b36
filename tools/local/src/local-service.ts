/** One running emulator or receiver on a loopback port. */
export interface LocalService {
  /** `http://127.0.0.1:<port>`: give it to a client as `endpoint`. */
  readonly endpoint: string
  readonly port: number
  /** Process id when the emulator runs as a child process; absent when it runs in this process. */
  readonly pid?: number
  /** Stops the emulator (kills the child process); resolves once it is gone. Safe to call twice. */
  stop(): Promise<void>
}

/** Why an emulator could not start. */
export type LocalServiceErrorCode =
  'START_FAILED' | 'START_TIMEOUT' | 'ADDRESS_IN_USE' | 'JAVA_MISSING' | 'INVALID_OPTIONS'

/** An emulator failed to start; `output` holds the tail of its stdout/stderr when it ran as a child. */
export class LocalServiceError extends Error {
  override readonly name: string = 'LocalServiceError'
  readonly code: LocalServiceErrorCode
  readonly output: string

  constructor(
    code: LocalServiceErrorCode,
    message: string,
    options: { output?: string; cause?: unknown } = {},
  ) {
    const output = options.output ?? ''
    super(
      output === '' ? message : `${message}\n--- output (tail) ---\n${output}`,
      options.cause === undefined ? undefined : { cause: options.cause },
    )
    this.code = code
    this.output = output
  }
}
