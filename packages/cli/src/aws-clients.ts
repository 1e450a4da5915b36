// The CLI is an app, so unlike the libraries it builds its own AWS SDK clients: from --region,
// --profile, the endpoint flags and the usual AWS environment.

import { CloudWatchClient } from '@aws-sdk/client-cloudwatch'
import { DynamoDBClient } from '@aws-sdk/client-dynamodb'
import { KinesisClient } from '@aws-sdk/client-kinesis'
import { NodeHttpHandler } from '@smithy/node-http-handler'

/** Where and as whom the CLI talks to AWS. */
export interface AwsSettings {
  /** @defaultValue AWS_REGION, then AWS_DEFAULT_REGION, then the profile's region, then us-east-1 */
  readonly region?: string
  /** A named profile of the shared config/credentials files. @defaultValue AWS_PROFILE, else `default` */
  readonly profile?: string
  /** Kinesis endpoint URL (a local emulator). @defaultValue the region's AWS endpoint */
  readonly kinesisEndpoint?: string
  /** DynamoDB endpoint URL. @defaultValue the region's AWS endpoint */
  readonly dynamodbEndpoint?: string
  /** CloudWatch endpoint URL. @defaultValue the region's AWS endpoint */
  readonly cloudwatchEndpoint?: string
}

/** The clients one command run uses, made on first use and destroyed together. */
export interface AwsClients {
  /** The region every client uses (resolved once, shown in error messages). */
  readonly region: string
  readonly settings: AwsSettings
  kinesis(): KinesisClient
  dynamodb(): DynamoDBClient
  cloudwatch(): CloudWatchClient
  /** Closes every client made so far (their sockets would otherwise keep the process alive). */
  destroy(): void
}

const FALLBACK_REGION = 'us-east-1'

/**
 * The region, resolved the way people expect from the AWS CLI: the flag, AWS_REGION,
 * AWS_DEFAULT_REGION (which the JavaScript SDK alone ignores), the profile's `region`, and
 * finally us-east-1 as the original kine did.
 */
export async function resolveRegion(
  settings: AwsSettings,
  env: NodeJS.ProcessEnv = process.env,
): Promise<string> {
  const given = settings.region ?? nonEmpty(env.AWS_REGION) ?? nonEmpty(env.AWS_DEFAULT_REGION)
  if (given !== undefined) return given
  // Let the SDK read the shared config file for the profile's region.
  const probe = new KinesisClient(
    settings.profile === undefined ? {} : { profile: settings.profile },
  )
  try {
    return await probe.config.region()
  } catch {
    return FALLBACK_REGION
  } finally {
    probe.destroy()
  }
}

/** Makes the clients for one command run. */
export async function createAwsClients(settings: AwsSettings): Promise<AwsClients> {
  const region = await resolveRegion(settings)
  const base = {
    region,
    ...(settings.profile === undefined ? {} : { profile: settings.profile }),
  }
  // The Kinesis client's default HTTP/2 handler breaks on the local emulators (protocol errors
  // on large responses): plain HTTP/1.1 wherever an endpoint is given.
  const local = (endpoint: string | undefined) =>
    endpoint === undefined ? {} : { endpoint, requestHandler: new NodeHttpHandler() }
  let kinesis: KinesisClient | undefined
  let dynamodb: DynamoDBClient | undefined
  let cloudwatch: CloudWatchClient | undefined
  return {
    region,
    settings,
    kinesis: () => (kinesis ??= new KinesisClient({ ...base, ...local(settings.kinesisEndpoint) })),
    dynamodb: () =>
      (dynamodb ??= new DynamoDBClient({ ...base, ...local(settings.dynamodbEndpoint) })),
    cloudwatch: () =>
      (cloudwatch ??= new CloudWatchClient({ ...base, ...local(settings.cloudwatchEndpoint) })),
    destroy: () => {
      kinesis?.destroy()
      dynamodb?.destroy()
      cloudwatch?.destroy()
    },
  }
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value === '' ? undefined : value
}
