import { CloudWatchClient, type CloudWatchClientConfig } from '@aws-sdk/client-cloudwatch'
import { DynamoDBClient, type DynamoDBClientConfig } from '@aws-sdk/client-dynamodb'
import { KinesisClient, type KinesisClientConfig } from '@aws-sdk/client-kinesis'
import { NodeHttp2Handler, NodeHttpHandler } from '@smithy/node-http-handler'
import { localCredentials, localRegion } from './local-env.js'

/**
 * The SDK's HTTP/2 handler, except that event streams (SubscribeToShard) run on a pooled session.
 * The stock handler gives each event stream its own session and closes that session (GOAWAY) as
 * soon as the response headers arrive; kinesis-local then ends the stream with a protocol error.
 */
export class PooledHttp2Handler extends NodeHttp2Handler {
  override handle(
    ...[request, options]: Parameters<NodeHttp2Handler['handle']>
  ): ReturnType<NodeHttp2Handler['handle']> {
    return super.handle(request, { ...options, isEventStream: false })
  }
}

/** Options of {@link kinesisClient}. */
export interface LocalKinesisClientOptions {
  /**
   * HTTP/2 with one long-lived session, for SubscribeToShard. Otherwise HTTP/1.1: the SDK's default
   * HTTP/2 handler fails on responses over 64 KiB from both emulators.
   * @defaultValue false
   */
  readonly http2?: boolean
  /** More client settings (maxAttempts, logger, ...); endpoint is always the one given. @defaultValue none */
  readonly config?: KinesisClientConfig
}

/** A Kinesis client for a local emulator: dummy credentials, us-east-1, a handler that works with it. */
export function kinesisClient(
  endpoint: string,
  options: LocalKinesisClientOptions = {},
): KinesisClient {
  return new KinesisClient({
    region: localRegion,
    credentials: localCredentials,
    requestHandler:
      options.http2 === true
        ? new PooledHttp2Handler({ disableConcurrentStreams: false })
        : new NodeHttpHandler(),
    ...options.config,
    endpoint,
  })
}

/** Options of {@link dynamoClient}. */
export interface LocalDynamoClientOptions {
  /** More client settings; endpoint is always the one given. @defaultValue none */
  readonly config?: DynamoDBClientConfig
}

/** A DynamoDB client for a local emulator: dummy credentials, us-east-1, HTTP/1.1. */
export function dynamoClient(
  endpoint: string,
  options: LocalDynamoClientOptions = {},
): DynamoDBClient {
  return new DynamoDBClient({
    region: localRegion,
    credentials: localCredentials,
    requestHandler: new NodeHttpHandler(),
    ...options.config,
    endpoint,
  })
}

/** Options of {@link cloudWatchClient}. */
export interface LocalCloudWatchClientOptions {
  /** Send every body uncompressed (the SDK gzips bodies of 10 KiB or more otherwise). @defaultValue false */
  readonly disableRequestCompression?: boolean
  /** More client settings; endpoint is always the one given. @defaultValue none */
  readonly config?: CloudWatchClientConfig
}

/** A CloudWatch client for the local receiver: dummy credentials, us-east-1, HTTP/1.1. */
export function cloudWatchClient(
  endpoint: string,
  options: LocalCloudWatchClientOptions = {},
): CloudWatchClient {
  return new CloudWatchClient({
    region: localRegion,
    credentials: localCredentials,
    requestHandler: new NodeHttpHandler(),
    disableRequestCompression: options.disableRequestCompression ?? false,
    ...options.config,
    endpoint,
  })
}
