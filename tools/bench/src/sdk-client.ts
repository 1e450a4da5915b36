// The one way every contender builds its Kinesis client, so the bare loop and the reader differ
// only in the reading code. It imports the SDK alone (not @kine-tools/local, which would load the
// other emulators' clients into the measured process and inflate its memory).
import { KinesisClient } from '@aws-sdk/client-kinesis'
import { NodeHttpHandler } from '@smithy/node-http-handler'

/**
 * A Kinesis client for a local endpoint: static dummy credentials (the credential chain never
 * runs), us-east-1, and HTTP/1.1, since the SDK's default HTTP/2 handler breaks on responses over
 * 64 KiB from the emulators.
 */
export function benchKinesisClient(endpoint: string): KinesisClient {
  return new KinesisClient({
    endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'bench', secretAccessKey: 'bench' },
    requestHandler: new NodeHttpHandler(),
  })
}
