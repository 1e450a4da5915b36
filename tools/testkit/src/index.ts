// @kine-tools/testkit: the helpers kine's integration tests share.
export { startEnv, useEnv, type StartEnvOptions, type TestEnv } from './test-env.js'
export { getLease, readLeases, testLease } from './lease-table.js'
export { allShards, midpoint, splitInHalf } from './shards.js'
export { newStream, uniqueName } from './names.js'
export { waitFor } from './wait-for.js'
