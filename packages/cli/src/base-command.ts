// What every kine command shares: the AWS flags, the clients built from them, and errors shown
// as one actionable message (a stack trace only with --debug).

import { inspect } from 'node:util'
import { Command, Errors, Flags } from '@oclif/core'
import { createAwsClients, type AwsClients, type AwsSettings } from './aws-clients.js'
import {
  describeFailure,
  EXIT_USAGE,
  type CliFailure,
  type CliJsonError,
  type FailureContext,
} from './cli-errors.js'

const endpointFlag = (service: string, example: string) =>
  Flags.string({
    description: `${service} endpoint URL, for a local emulator (e.g. ${example}); uses HTTP/1.1`,
    helpGroup: 'AWS',
    parse: (input) => {
      try {
        new URL(input)
      } catch {
        throw new Errors.CLIError(
          `${JSON.stringify(input)} is not a URL (expected e.g. ${example})`,
          {
            exit: EXIT_USAGE,
          },
        )
      }
      return Promise.resolve(input)
    },
  })

/** The flags of every command that talks to AWS. */
const awsFlags = {
  region: Flags.string({
    description:
      "AWS region [default: AWS_REGION, AWS_DEFAULT_REGION, the profile's region, else us-east-1]",
    helpGroup: 'AWS',
  }),
  profile: Flags.string({
    description: 'named profile from ~/.aws/config and ~/.aws/credentials [default: AWS_PROFILE]',
    helpGroup: 'AWS',
  }),
  endpoint: endpointFlag('Kinesis', 'http://127.0.0.1:4567'),
  'dynamodb-endpoint': endpointFlag('DynamoDB', 'http://127.0.0.1:4568'),
  'cloudwatch-endpoint': endpointFlag('CloudWatch', 'http://127.0.0.1:4569'),
  debug: Flags.boolean({
    description: 'on failure, also print the full error with its stack trace and causes',
    helpGroup: 'GLOBAL',
  }),
}

/** The parsed values of {@link awsFlags}. */
interface AwsFlagValues {
  readonly region?: string | undefined
  readonly profile?: string | undefined
  readonly endpoint?: string | undefined
  readonly 'dynamodb-endpoint'?: string | undefined
  readonly 'cloudwatch-endpoint'?: string | undefined
}

/** Base class of the kine commands. */
export abstract class KineCommand extends Command {
  static override baseFlags = awsFlags

  /** Set once the clients exist, so error messages can say where the command was looking. */
  protected failureContext: FailureContext = {}
  #clients: AwsClients | undefined

  /** The AWS clients for this run, built from the flags. */
  protected async awsClients(flags: AwsFlagValues): Promise<AwsClients> {
    const settings: AwsSettings = {
      ...(flags.region === undefined ? {} : { region: flags.region }),
      ...(flags.profile === undefined ? {} : { profile: flags.profile }),
      ...(flags.endpoint === undefined ? {} : { kinesisEndpoint: flags.endpoint }),
      ...(flags['dynamodb-endpoint'] === undefined
        ? {}
        : { dynamodbEndpoint: flags['dynamodb-endpoint'] }),
      ...(flags['cloudwatch-endpoint'] === undefined
        ? {}
        : { cloudwatchEndpoint: flags['cloudwatch-endpoint'] }),
    }
    this.failureContext = { settings }
    this.#clients = await createAwsClients(settings)
    this.failureContext = { settings, region: this.#clients.region }
    return this.#clients
  }

  /** Writes a line to stderr, even under --json (where stdout carries only the result). */
  protected note(line: string): void {
    process.stderr.write(`${line}\n`)
  }

  override catch(error: Error & { exitCode?: number }): Promise<unknown> {
    // `this.exit()` and the like: nothing to say.
    if ((error as { code?: unknown }).code === 'EEXIT') return Promise.reject(error)
    const failure = describeFailure(error, this.failureContext) ?? usageFailure(error)
    // Flags may not have parsed (that may be the error), so look at the raw arguments.
    if (this.argv.includes('--debug')) process.stderr.write(`${inspect(error, { depth: 6 })}\n`)
    if (this.jsonEnabled()) {
      process.exitCode = failure.exit
      const output: CliJsonError = { error: { code: failure.code, message: failure.message } }
      this.logJson(output)
      return Promise.resolve(undefined)
    }
    // Printed here, unwrapped and without oclif's decorations, so it reads (and greps) as one message.
    process.stderr.write(`Error: ${failure.message}\n`)
    const quiet = new Errors.CLIError(failure.message, { exit: failure.exit })
    quiet.skipOclifErrorHandling = true
    return Promise.reject(quiet)
  }

  override async finally(error: Error | undefined): Promise<unknown> {
    this.#clients?.destroy()
    return super.finally(error)
  }
}

/** An oclif error (a flag that did not parse, a missing argument): a usage error. */
function usageFailure(error: Error): CliFailure {
  const exit = (error as { oclif?: { exit?: unknown } }).oclif?.exit
  // Every parse error is a usage error, whatever exit code oclif gave that kind.
  return {
    code: 'USAGE',
    exit: 'parse' in error || typeof exit !== 'number' || exit === 0 ? EXIT_USAGE : exit,
    message: error.message,
  }
}
