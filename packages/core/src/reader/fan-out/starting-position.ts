// Where a subscription starts: the same positions as a GetShardIterator (a checkpoint is resumed AT
// its sequence number, so the rest of its KPL aggregate is still delivered), in SubscribeToShard's
// StartingPosition shape.

import type { StartingPosition } from '@aws-sdk/client-kinesis'
import { iteratorRequest, type ShardPosition } from '../iterator-position.js'

/** The StartingPosition of a SubscribeToShard request that starts at `position`. */
export function startingPosition(position: ShardPosition): StartingPosition {
  const request = iteratorRequest(position)
  return {
    Type: request.ShardIteratorType,
    ...(request.StartingSequenceNumber !== undefined
      ? { SequenceNumber: request.StartingSequenceNumber }
      : {}),
    ...(request.Timestamp !== undefined ? { Timestamp: request.Timestamp } : {}),
  }
}
