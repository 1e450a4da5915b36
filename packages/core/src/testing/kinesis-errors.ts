// The errors the in-memory Kinesis throws, built from the SDK's own classes so callers branch on
// them exactly as they do on Kinesis's (by class or by `name`).

import {
  ExpiredIteratorException,
  InvalidArgumentException,
  ResourceInUseException,
  ResourceNotFoundException,
} from '@aws-sdk/client-kinesis'

const METADATA = { httpStatusCode: 400 }

export function streamNotFound(stream: string): ResourceNotFoundException {
  return new ResourceNotFoundException({
    message: `Stream ${stream} under account 000000000000 not found.`,
    $metadata: METADATA,
  })
}

export function shardNotFound(stream: string, shardId: string): ResourceNotFoundException {
  return new ResourceNotFoundException({
    message: `Shard ${shardId} in stream ${stream} under account 000000000000 does not exist`,
    $metadata: METADATA,
  })
}

export function invalidArgument(message: string): InvalidArgumentException {
  return new InvalidArgumentException({ message, $metadata: METADATA })
}

export function iteratorExpired(): ExpiredIteratorException {
  return new ExpiredIteratorException({
    message: 'Iterator expired. The iterator was created more than 5 minutes ago.',
    $metadata: METADATA,
  })
}

export function streamInUse(stream: string): ResourceInUseException {
  return new ResourceInUseException({
    message: `Stream ${stream} under account 000000000000 already exists.`,
    $metadata: METADATA,
  })
}
