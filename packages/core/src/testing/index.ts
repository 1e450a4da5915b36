// @kine/core/testing: test doubles for kine's AWS dependencies, for tests and simulations (never
// production). Kept off the root export so no application pulls them in by accident.
export {
  InMemoryDynamoDB,
  type InMemoryCommand,
  type InMemoryOperation,
  type InMemorySendOptions,
  type InMemoryStats,
} from './in-memory-table.js'
export {
  InMemoryKinesis,
  type InMemoryKinesisCommand,
  type InMemoryKinesisOperation,
  type InMemoryKinesisOptions,
} from './in-memory-kinesis.js'
export type { RecordTarget } from './in-memory-stream.js'
export type { FaultMode, FaultSpec, Faults, InjectedFault } from './faults.js'
export { itemSize } from './item-size.js'
