// The lease fields a Sync plan reads: its own file so the plan and the listing check, which both
// read them, need not import each other.

import type { Lease } from '@kine/core'

/** The lease fields a plan reads. */
export type PlannedLease = Pick<
  Lease,
  'leaseKey' | 'leaseOwner' | 'checkpoint' | 'parentShardIds' | 'childShardIds' | 'shardAbsentSince'
>
