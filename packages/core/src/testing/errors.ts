// The errors the in-memory table throws, built from the SDK's own classes so callers branch on them
// exactly as they do on DynamoDB's (by class or by `name`).

import {
  ConditionalCheckFailedException,
  DynamoDBServiceException,
  ResourceInUseException,
  ResourceNotFoundException,
  type AttributeValue,
} from '@aws-sdk/client-dynamodb'

const METADATA = { httpStatusCode: 400 }

/** DynamoDB's `ValidationException` (the SDK has no class of its own for it). */
export function validationError(message: string): DynamoDBServiceException {
  return new DynamoDBServiceException({
    name: 'ValidationException',
    $fault: 'client',
    message,
    $metadata: METADATA,
  })
}

export function conditionFailed(
  item: Record<string, AttributeValue> | undefined,
): ConditionalCheckFailedException {
  return new ConditionalCheckFailedException({
    message: 'The conditional request failed',
    $metadata: METADATA,
    ...(item === undefined ? {} : { Item: item }),
  })
}

export function tableNotFound(): ResourceNotFoundException {
  return new ResourceNotFoundException({
    message: 'Cannot do operations on a non-existent table',
    $metadata: METADATA,
  })
}

export function tableInUse(tableName: string): ResourceInUseException {
  return new ResourceInUseException({
    message: `Table already exists: ${tableName}`,
    $metadata: METADATA,
  })
}
