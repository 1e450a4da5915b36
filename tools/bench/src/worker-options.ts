// Which of the worker contender's options differ from @kine/lease's defaults, and why: printed
// with its figures so nobody reads them as the defaults' own.

export const WORKER_OPTION_CHANGES =
  "limits 'unlimited' (default: the Kinesis limits, 5 GetRecords/s and 2 MB/s per shard), " +
  'so the worker is bound by the emulator like the bare loop and not by a throttle (the limits are ' +
  'measured in the default-limits runs); a fresh tableName per run. Everything else is the default: ' +
  'checkpointing per batch (and, where @kine/lease has it, maxUncheckpointedBatches 2), limit 10,000, ' +
  'lease duration 10 s, idleWaitMs, handler retries.'
