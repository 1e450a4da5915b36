// The proxy's fault plan: per-operation rules with a probability, a time window and a count, and
// the seeded decision of which rule (if any) hits a request. Kept apart from the HTTP machinery so
// the decisions can be tested, and repeated, on their own.
import type { AwsTarget, ChaosService } from './aws-target.js'
import { deriveSeed, seededRandom } from './seeded-random.js'

/** A field a well-formed 200 always carries, which a `malformed` fault removes. */
export type MalformedField =
  | 'ShardIterator' // GetShardIterator
  | 'Shards' // ListShards
  | 'Records' // GetRecords
  | 'ParentShards' // GetRecords: from each ChildShards entry
  | 'Items' // Scan
  | 'StreamDescriptionSummary' // DescribeStreamSummary

/** What happens to a request a rule hits. */
export type Fault =
  /** 400 with the service's throttling error (Kinesis: ProvisionedThroughputExceededException, or
   * LimitExceededException on control-plane calls; DynamoDB: ThrottlingException). */
  | { readonly kind: 'throttle'; readonly errorName?: string }
  /** 500 InternalFailure or 503 ServiceUnavailable, in the service's own words. */
  | { readonly kind: 'server-error'; readonly status?: 500 | 503 }
  /** The connection is destroyed: before forwarding, or (`afterUpstream`) once the emulator has
   * applied the request, so its response is lost. */
  | { readonly kind: 'reset'; readonly afterUpstream?: boolean }
  /** The emulator's response, cut off halfway through the body. */
  | { readonly kind: 'truncate' }
  /** The request waits `ms` before it is forwarded. */
  | { readonly kind: 'delay'; readonly ms: number }
  /** No answer: the connection is held (for `ms`, then destroyed; default until the proxy stops). */
  | { readonly kind: 'hang'; readonly ms?: number }
  /** A well-formed 200 without a field the API always returns (default: the operation's own, see
   * {@link defaultMalformedField}). Answers that lack the thing to drop pass unchanged. */
  | { readonly kind: 'malformed'; readonly field?: MalformedField }

export type FaultKind = Fault['kind']

/** One rule of the plan. */
export interface FaultRule {
  /** Operation names (`GetRecords`); `*` or absent for every operation. @defaultValue every operation */
  readonly operations?: readonly string[] | '*'
  /** Only requests to this service. @defaultValue either */
  readonly service?: ChaosService
  readonly fault: Fault
  /** Chance that a matching request is hit. @defaultValue 1 */
  readonly probability?: number
  /** Window start, ms after the rule was installed. @defaultValue 0 */
  readonly fromMs?: number
  /** Window end, ms after the rule was installed. @defaultValue no end */
  readonly untilMs?: number
  /** Most requests this rule hits. @defaultValue no limit */
  readonly count?: number
  /** A name for logs and counts. @defaultValue `<kind>` */
  readonly label?: string
}

/** The operation's own missing field for a `malformed` fault without one. */
export function defaultMalformedField(operation: string): MalformedField | undefined {
  switch (operation) {
    case 'GetShardIterator':
      return 'ShardIterator'
    case 'ListShards':
      return 'Shards'
    case 'GetRecords':
      return 'Records'
    case 'Scan':
      return 'Items'
    case 'DescribeStreamSummary':
      return 'StreamDescriptionSummary'
    default:
      return undefined
  }
}

interface LiveRule {
  readonly rule: FaultRule
  readonly installedAt: number
  readonly random: () => number
  hits: number
  removed: boolean
}

/** A rule that was installed; `remove()` takes it out of the plan. */
export interface RuleHandle {
  readonly rule: FaultRule
  remove(): void
  /** Requests it has hit so far. */
  readonly hits: number
}

/** The rule that hit a request, and the fault to inject. */
export interface FaultDecision {
  readonly rule: FaultRule
  readonly fault: Fault
  readonly label: string
}

/** Checks a rule up front; returns the problems. */
export function ruleProblems(rule: FaultRule): string[] {
  const problems: string[] = []
  const p = rule.probability
  if (p !== undefined && !(p >= 0 && p <= 1)) problems.push(`probability ${p} is not in [0, 1]`)
  if (rule.count !== undefined && !(Number.isInteger(rule.count) && rule.count >= 0))
    problems.push(`count ${rule.count} is not a non-negative integer`)
  if (rule.fromMs !== undefined && rule.untilMs !== undefined && rule.untilMs < rule.fromMs)
    problems.push(`untilMs ${rule.untilMs} is before fromMs ${rule.fromMs}`)
  if (rule.fault.kind === 'delay' && !(rule.fault.ms >= 0)) problems.push('delay ms must be >= 0')
  return problems
}

/**
 * The rules in force and the seeded decision per request. Rule `i` draws from its own random
 * stream (seed, i), once for each request it matches while in its window, so the same seed and the
 * same sequence of requests give the same decisions. The first rule that hits wins.
 */
export class FaultPlan {
  readonly #seed: number
  readonly #now: () => number
  #rules: LiveRule[] = []
  #installed = 0

  constructor(seed: number, now: () => number = () => performance.now()) {
    this.#seed = seed
    this.#now = now
  }

  /** Installs `rule` after the ones already in force. */
  add(rule: FaultRule): RuleHandle {
    const problems = ruleProblems(rule)
    if (problems.length > 0) throw new TypeError(`invalid fault rule: ${problems.join('; ')}`)
    const live: LiveRule = {
      rule,
      installedAt: this.#now(),
      random: seededRandom(deriveSeed(this.#seed, this.#installed++)),
      hits: 0,
      removed: false,
    }
    this.#rules.push(live)
    return {
      rule,
      remove: () => {
        live.removed = true
        this.#rules = this.#rules.filter((r) => r !== live)
      },
      get hits() {
        return live.hits
      },
    }
  }

  /** Replaces every rule (the random streams restart from the seed). */
  set(rules: readonly FaultRule[]): RuleHandle[] {
    this.clear()
    this.#installed = 0
    return rules.map((r) => this.add(r))
  }

  clear(): void {
    for (const r of this.#rules) r.removed = true
    this.#rules = []
  }

  /** The fault for this request, or undefined to pass it through. */
  decide(target: AwsTarget): FaultDecision | undefined {
    const now = this.#now()
    for (const live of this.#rules) {
      const { rule } = live
      if (rule.service !== undefined && rule.service !== target.service) continue
      const ops = rule.operations
      if (ops !== undefined && ops !== '*' && !ops.includes(target.operation)) continue
      const t = now - live.installedAt
      if (rule.fromMs !== undefined && t < rule.fromMs) continue
      if (rule.untilMs !== undefined && t >= rule.untilMs) continue
      if (rule.count !== undefined && live.hits >= rule.count) continue
      const draw = live.random()
      if (draw >= (rule.probability ?? 1)) continue
      live.hits++
      return { rule, fault: rule.fault, label: rule.label ?? rule.fault.kind }
    }
    return undefined
  }
}
