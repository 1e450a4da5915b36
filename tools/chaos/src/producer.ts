// The scenario's producer: one PutRecords of one record per key every tick, numbered per key,
// written straight to the emulator (it is not what is under test). A failed record is retried
// before the key's next one, so each key's records are in the stream in order.
import { PutRecordsCommand, type KinesisClient } from '@aws-sdk/client-kinesis'
import type { Ledger } from './ledger.js'

export interface ProducerOptions {
  readonly kinesis: KinesisClient
  readonly streamName: string
  readonly keys: number
  readonly everyMs: number
  readonly ledger: Ledger
  /** ms into the scenario */
  readonly now: () => number
}

export interface Producer {
  /** Stops after the PutRecords in flight; resolves once it has. */
  stop(): Promise<void>
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms))
const encoder = new TextEncoder()

export function startProducer(o: ProducerOptions): Producer {
  const next = new Map<string, number>()
  let producing = true
  const loop = (async () => {
    while (producing) {
      let pending = Array.from({ length: o.keys }, (_, k) => {
        const key = `key-${k}`
        const n = next.get(key) ?? 0
        next.set(key, n + 1)
        return { key, n }
      })
      while (pending.length > 0) {
        try {
          const out = await o.kinesis.send(
            new PutRecordsCommand({
              StreamName: o.streamName,
              Records: pending.map((p) => ({
                PartitionKey: p.key,
                Data: encoder.encode(JSON.stringify(p)),
              })),
            }),
          )
          const at = o.now()
          const failed: typeof pending = []
          out.Records?.forEach((r, i) =>
            r.ShardId
              ? o.ledger.produced(pending[i]!.key, pending[i]!.n, r.ShardId, at)
              : failed.push(pending[i]!),
          )
          pending = failed
        } catch {
          await sleep(100)
        }
      }
      await sleep(o.everyMs)
    }
  })()
  return {
    stop: async () => {
      producing = false
      await loop
    },
  }
}
