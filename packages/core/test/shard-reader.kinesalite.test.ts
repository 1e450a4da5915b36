// The ShardReader against kinesalite (in this process): no ChildShards at a shard's end, so the
// reader finds the children with ListShards, after kinesalite's extra empty read.
import { describeShardReader } from './shard-reader-suite.js'

describeShardReader('kinesalite')
