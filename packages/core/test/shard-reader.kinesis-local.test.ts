// The ShardReader against kinesis-local (a child process): the most faithful emulator, with
// ChildShards at a shard's end and real MillisBehindLatest.
import { describeShardReader } from './shard-reader-suite.js'

describeShardReader('kinesis-local')
