// Turns whatever a command threw into one message a person can act on, and an exit code.
// oclif's own errors (flag parsing, `this.exit`) already read well and pass through untouched.

import { isKineError, type KineError, type KineErrorCode } from '@kine/core'
import { awsErrorName } from '@kine/core/lease-table'
import type { AwsSettings } from './aws-clients.js'

/** Exit code for an error of use: a bad flag, a missing flag, flags that do not go together. */
export const EXIT_USAGE = 2
/** Exit code for everything that went wrong talking to AWS or reading the data. */
const EXIT_FAILURE = 1

/**
 * The codes of failures only the CLI names (a flag that did not parse, no credentials, no answer
 * from the endpoint, an error that is not kine's); every other code is a kine error code.
 */
export const CLI_ERROR_CODES = ['USAGE', 'NO_CREDENTIALS', 'UNREACHABLE', 'ERROR'] as const

/** What `--json` prints as `error.code`: one of {@link CLI_ERROR_CODES} or a kine error code. */
export type CliErrorCode = (typeof CLI_ERROR_CODES)[number] | KineErrorCode

/** The exit status for a failure with `code`: a mistake in the flags is 2, the rest 1. */
export function exitStatus(code: CliErrorCode): number {
  return code === 'USAGE' || code === 'INVALID_CONFIG' ? EXIT_USAGE : EXIT_FAILURE
}

/** What a command prints on stdout under `--json` when it fails. */
export interface CliJsonError {
  readonly error: { readonly code: CliErrorCode; readonly message: string }
}

/** What a person reads, and the process's exit code. */
export interface CliFailure {
  /** A stable name for scripts (`--json` prints it). */
  readonly code: CliErrorCode
  readonly message: string
  readonly exit: number
}

/** Where the command was talking to, for the hints in messages. */
export interface FailureContext {
  readonly region?: string
  readonly settings?: AwsSettings
}

const NETWORK = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'TimeoutError',
])

/** Every error in the `cause` chain, outermost first. */
function causes(error: unknown): unknown[] {
  const chain: unknown[] = []
  let current: unknown = error
  while (current !== undefined && current !== null && chain.length < 10) {
    chain.push(current)
    current = (current as { cause?: unknown }).cause
  }
  return chain
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error)
}

function where(context: FailureContext, endpoint: string | undefined): string {
  const parts: string[] = []
  if (context.region !== undefined) parts.push(`region ${context.region}`)
  if (endpoint !== undefined) parts.push(`endpoint ${endpoint}`)
  if (context.settings?.profile !== undefined) parts.push(`profile ${context.settings.profile}`)
  return parts.length === 0 ? '' : `Looked in ${parts.join(', ')}. `
}

/**
 * The message and exit code for an error a command threw; `undefined` for oclif's own errors
 * (parsing, exit), which are rethrown as they are.
 */
export function describeFailure(
  error: unknown,
  context: FailureContext = {},
): CliFailure | undefined {
  if (isOclifError(error)) return undefined
  const chain = causes(error)
  const settings = context.settings ?? {}

  const credentials = chain.find((e) => awsErrorName(e) === 'CredentialsProviderError')
  if (credentials !== undefined) {
    const profile = settings.profile ?? process.env.AWS_PROFILE
    return {
      code: 'NO_CREDENTIALS',
      exit: exitStatus('NO_CREDENTIALS'),
      message:
        (profile === undefined
          ? 'no AWS credentials found'
          : `no AWS credentials found for profile "${profile}"`) +
        ` (${messageOf(credentials)}).\n` +
        'Set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, pass --profile <name>, or run `aws configure` / `aws sso login`.',
    }
  }

  const kine = chain.find((e): e is KineError => isKineError(e))
  if (kine?.code === 'INVALID_CONFIG') {
    return { code: kine.code, exit: exitStatus(kine.code), message: kine.message }
  }
  if (kine?.code === 'STREAM_NOT_FOUND' || kine?.code === 'SHARD_NOT_FOUND') {
    return {
      code: kine.code,
      exit: exitStatus(kine.code),
      message: `${kine.message}.\n${where(context, settings.kinesisEndpoint)}Check the name, --region and --profile.`,
    }
  }
  if (kine?.code === 'TABLE_NOT_FOUND') {
    return {
      code: kine.code,
      exit: exitStatus(kine.code),
      message: `${kine.message}.\n${where(context, settings.dynamodbEndpoint)}Check the name, --region and --profile.`,
    }
  }
  if (kine?.code === 'ACCESS_DENIED') {
    return {
      code: kine.code,
      exit: exitStatus(kine.code),
      message: `${kine.message}.\n${where(context, undefined)}The credentials in use may not do this: check the IAM policy, or use another --profile.`,
    }
  }

  const network = chain.find((e) => NETWORK.has(awsErrorName(e)))
  if (network !== undefined) {
    const endpoints = [
      settings.kinesisEndpoint,
      settings.dynamodbEndpoint,
      settings.cloudwatchEndpoint,
    ]
      .filter((e) => e !== undefined)
      .join(', ')
    return {
      code: 'UNREACHABLE',
      exit: exitStatus('UNREACHABLE'),
      message: `could not reach AWS${endpoints === '' ? '' : ` at ${endpoints}`}: ${awsErrorName(network)} ${messageOf(network)}`,
    }
  }

  if (kine !== undefined)
    return { code: kine.code, exit: exitStatus(kine.code), message: kine.message }
  const name = awsErrorName(error)
  return {
    code: 'ERROR',
    exit: exitStatus('ERROR'),
    message:
      name !== '' && !messageOf(error).startsWith(name)
        ? `${name}: ${messageOf(error)}`
        : messageOf(error),
  }
}

/** oclif's errors carry an `oclif` field (exit code) or are its ExitError. */
function isOclifError(error: unknown): boolean {
  return (
    typeof error === 'object' &&
    error !== null &&
    ('oclif' in error || (error as { code?: unknown }).code === 'EEXIT')
  )
}
