// Rules 3 and 4 of docs/lease-protocol.md as pure functions of a table scan: which leases have
// expired (judged only by a counter that stopped moving on this host's monotonic clock), what the
// fair share is, and which leases to take or hand off. No I/O, so the balancing is unit-tested on
// its own.

import { isLeaseFinished, type Lease } from '../lease-item.js'

/** When each lease was first seen at its current owner and counter, on the local monotonic clock. */
export class LeaseWatch {
  readonly #seen = new Map<string, { owner: string | undefined; counter: number; since: number }>()

  /** Notes a scan's leases as seen at `now` (the time the scan's response arrived); forgets the rest. */
  observe(leases: readonly Lease[], now: number): void {
    const keys = new Set<string>()
    for (const lease of leases) {
      keys.add(lease.leaseKey)
      const prev = this.#seen.get(lease.leaseKey)
      if (
        prev === undefined ||
        prev.owner !== lease.leaseOwner ||
        prev.counter !== lease.leaseCounter
      ) {
        this.#seen.set(lease.leaseKey, {
          owner: lease.leaseOwner,
          counter: lease.leaseCounter,
          since: now,
        })
      }
    }
    for (const key of this.#seen.keys()) if (!keys.has(key)) this.#seen.delete(key)
  }

  /** True when the lease is held and its counter has not moved for more than `durationMs`. */
  expired(lease: Lease, now: number, durationMs: number): boolean {
    if (lease.leaseOwner === undefined) return false
    const seen = this.#seen.get(lease.leaseKey)
    if (
      seen === undefined ||
      seen.counter !== lease.leaseCounter ||
      seen.owner !== lease.leaseOwner
    )
      return false
    return now - seen.since > durationMs
  }

  /** How long the lease has stood at its current owner and counter (0 when not watched). */
  standing(lease: Lease, now: number): number {
    const seen = this.#seen.get(lease.leaseKey)
    if (
      seen === undefined ||
      seen.counter !== lease.leaseCounter ||
      seen.owner !== lease.leaseOwner
    )
      return 0
    return now - seen.since
  }

  /** The earliest moment a held, not yet expired lease not owned by `me` would expire. */
  nextExpiry(now: number, durationMs: number, me: string): number | undefined {
    let next: number | undefined
    for (const seen of this.#seen.values()) {
      if (seen.owner === undefined || seen.owner === me) continue
      const at = seen.since + durationMs + 1
      if (at > now && (next === undefined || at < next)) next = at
    }
    return next
  }
}

/** What {@link planLeases} needs. */
export interface PlanInput {
  /** Every lease of the latest scan. */
  readonly leases: readonly Lease[]
  /** Leases this worker holds now (by shard id). */
  readonly held: ReadonlySet<string>
  /** This worker's id. */
  readonly me: string
  readonly now: number
  readonly watch: LeaseWatch
  readonly leaseDurationMs: number
  readonly maxLeases: number
  /** False for leases this worker must not take (a refused start position, a cool-down). */
  readonly eligible: (lease: Lease) => boolean
  readonly random: () => number
  /**
   * Keys of lease items that exist but do not parse: as parents they count as unfinished.
   * @defaultValue none
   */
  readonly unreadable?: ReadonlySet<string>
}

/** What this worker should do after a scan. */
export interface LeasePlan {
  /** Free or expired leases to take (rule 3 of docs/lease-protocol.md). */
  readonly take: readonly Lease[]
  /**
   * Leases to take over cooperatively from workers above the target (rule 4 of
   * docs/lease-protocol.md).
   */
  readonly handoff: readonly Lease[]
  /** Leases not at `SHARD_END` whose parents are all finished. */
  readonly active: number
  /** Distinct owners of unexpired leases, this worker included. */
  readonly workers: number
  /** ceil(active / workers), capped by `maxLeases`. */
  readonly target: number
  /** Leases waiting for a parent to reach `SHARD_END` (rule 8 of docs/lease-protocol.md). */
  readonly blocked: readonly string[]
}

/**
 * True when every parent of `lease` is at `SHARD_END` or has no lease any more (rule 8 of
 * docs/lease-protocol.md).
 */
export function parentsFinished(
  lease: Lease,
  byKey: ReadonlyMap<string, Lease>,
  unreadable: ReadonlySet<string> = new Set(),
): boolean {
  return lease.parentShardIds.every((id) => {
    // A parent item that exists but cannot be read may still hold unread records.
    if (unreadable.has(id)) return false
    const parent = byKey.get(id)
    return parent === undefined || isLeaseFinished(parent)
  })
}

/** Decides what to take and hand off after a scan (rules 3 and 4 of docs/lease-protocol.md). */
export function planLeases(input: PlanInput): LeasePlan {
  const { leases, held, me, now, watch, leaseDurationMs } = input
  const byKey = new Map(leases.map((l) => [l.leaseKey, l]))
  const active: Lease[] = []
  const blocked: string[] = []
  for (const lease of leases) {
    if (isLeaseFinished(lease)) continue
    if (parentsFinished(lease, byKey, input.unreadable)) active.push(lease)
    else blocked.push(lease.leaseKey)
  }
  const workers = new Set<string>([me])
  for (const lease of leases) {
    if (lease.leaseOwner !== undefined && !watch.expired(lease, now, leaseDurationMs))
      workers.add(lease.leaseOwner)
  }
  const target = Math.min(input.maxLeases, Math.ceil(active.length / workers.size))
  const want = target - held.size
  const available = active.filter(
    (l) =>
      !held.has(l.leaseKey) &&
      (l.leaseOwner === undefined || watch.expired(l, now, leaseDurationMs)) &&
      input.eligible(l),
  )
  if (want <= 0) {
    // Workers capped by maxLeases can leave leases nobody's share covers: a lease left available
    // for two lease durations is taken by anyone with room, one per scan, so none is orphaned.
    const leftOver = available.filter((l) => watch.standing(l, now) > 2 * leaseDurationMs)
    const take = held.size < input.maxLeases ? shuffle(leftOver, input.random).slice(0, 1) : []
    return { take, handoff: [], active: active.length, workers: workers.size, target, blocked }
  }
  const take = shuffle(available, input.random).slice(0, want)
  if (take.length > 0)
    return { take, handoff: [], active: active.length, workers: workers.size, target, blocked }

  // Rule 4: only from workers above the target, a bounded number per cycle (the deficit in 3 cycles).
  const byOwner = new Map<string, Lease[]>()
  for (const lease of active) {
    const owner = lease.leaseOwner
    if (owner === undefined || owner === me || watch.expired(lease, now, leaseDurationMs)) continue
    const list = byOwner.get(owner) ?? []
    list.push(lease)
    byOwner.set(owner, list)
  }
  const handoff: Lease[] = []
  const perCycle = Math.max(1, Math.ceil(want / 3))
  while (handoff.length < perCycle) {
    let victim: Lease[] | undefined
    for (const list of byOwner.values()) {
      if (list.length > target && (victim === undefined || list.length > victim.length))
        victim = list
    }
    if (victim === undefined) break
    const candidates = victim.filter((l) => l.checkpointOwner === undefined && input.eligible(l))
    const pick = shuffle(candidates, input.random)[0]
    if (pick === undefined) {
      victim.length = 0
      continue
    }
    handoff.push(pick)
    victim.splice(victim.indexOf(pick), 1)
  }
  return { take: [], handoff, active: active.length, workers: workers.size, target, blocked }
}

function shuffle<T>(items: readonly T[], random: () => number): T[] {
  const out = [...items]
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1))
    const a = out[i] as T
    out[i] = out[j] as T
    out[j] = a
  }
  return out
}
