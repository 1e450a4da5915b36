// Counts a DynamoDB client's request attempts by operation, from a middleware below the SDK's
// retry middleware (so retries count too): what the worker's lease table costs per second.
import type { dynamoClient } from '@kine-tools/local'

// The client type, through the helper that builds it (the bench does not depend on the SDK client).
type DynamoDBClient = ReturnType<typeof dynamoClient>

/** Request attempts by operation name (UpdateItem, Scan, ...), since the last reset. */
export class DynamoRequestCounter {
  #counts = new Map<string, number>()

  /** Adds the counting middleware to `client` (a client of the benchmark's own). */
  attach(client: DynamoDBClient): void {
    client.middlewareStack.add(
      (next, context) => (args) => {
        const name = (context.commandName ?? 'unknown').replace(/Command$/, '')
        this.#counts.set(name, (this.#counts.get(name) ?? 0) + 1)
        return next(args)
      },
      // Priority low in finalizeRequest: inside the retry middleware (high), so once per attempt.
      { step: 'finalizeRequest', priority: 'low', name: 'benchDynamoRequests' },
    )
  }

  reset(): void {
    this.#counts = new Map()
  }

  counts(): Record<string, number> {
    return Object.fromEntries([...this.#counts].sort(([a], [b]) => (a < b ? -1 : 1)))
  }

  total(): number {
    let sum = 0
    for (const n of this.#counts.values()) sum += n
    return sum
  }
}
