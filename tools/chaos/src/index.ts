// @kine-tools/chaos: a fault-injecting proxy for the AWS JSON protocols, and scenario runs of Sync
// and workers through it judged by a ledger (`pnpm chaos`). `pnpm demo` plays its scenario with the
// same runner, fleet and ledger, without the proxies.
export {
  startChaosProxy,
  type ChaosProxy,
  type ChaosProxyOptions,
  type InjectedFault,
  type OutageMode,
} from './chaos-proxy.js'
export {
  FaultPlan,
  defaultMalformedField,
  ruleProblems,
  type Fault,
  type FaultDecision,
  type FaultKind,
  type FaultRule,
  type MalformedField,
  type RuleHandle,
} from './fault-rules.js'
export { parseAwsTarget, type AwsTarget, type ChaosService } from './aws-target.js'
export { seededRandom } from './seeded-random.js'
export { Ledger, type LedgerVerdict, type PhaseDuplicates, type ShardLoss } from './ledger.js'
export {
  runScenario,
  passes,
  type RunOptions,
  type RunView,
  type ScenarioResult,
} from './scenario-runner.js'
export type { UnexpectedExit } from './fleet.js'
export type { DeliveredRecord, WorkerMessage } from './messages.js'
export type { ScenarioContext, ScenarioDefinition, Step } from './scenario.js'
export { scenarios, mixedRules } from './scenarios.js'
export { verdictTable, scenarioDetails } from './report.js'
