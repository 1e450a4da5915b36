// @kine/core/testing: test doubles for kine's AWS dependencies, for tests and simulations (never
// production). Kept off the root export so no application pulls them in by accident.
export {
  InMemoryDynamoDB,
  type InMemoryCommand,
  type InMemoryOperation,
  type InMemorySendOptions,
  type InMemoryStats,
} from './in-memory-table.js'
export { itemSize } from './item-size.js'
