// @kine-tools/local: embedded AWS (Kinesis, DynamoDB, a CloudWatch receiver) on loopback ports
// for tests, the demo and benchmarks.
export { localCredentials, localRegion, loopbackEndpoint, loopbackHost } from './local-env.js'
export {
  LocalServiceError,
  type LocalService,
  type LocalServiceErrorCode,
} from './local-service.js'
export {
  defaultKinesisLocalDurations,
  startKinesis,
  type KinesisEngine,
  type LocalKinesis,
  type StartKinesisOptions,
} from './kinesis.js'
export {
  dynamoDbLocalDir,
  javaAvailable,
  startDynamo,
  type DynamoEngine,
  type LocalDynamo,
  type StartDynamoOptions,
} from './dynamo.js'
export {
  startCloudWatch,
  type CloudWatchReceiver,
  type StartCloudWatchOptions,
  type StatisticsAnswer,
  type WaitForOptions,
} from './cloudwatch-receiver.js'
export type {
  CloudWatchProtocol,
  ReceivedDatum,
  ReceivedDimension,
  ReceivedGetMetricStatistics,
  ReceivedPutMetricData,
  ReceivedStatisticSet,
  RejectedRequest,
  StatisticsDatapoint,
} from './cloudwatch-types.js'
export {
  cloudWatchClient,
  dynamoClient,
  kinesisClient,
  PooledHttp2Handler,
  type LocalCloudWatchClientOptions,
  type LocalDynamoClientOptions,
  type LocalKinesisClientOptions,
} from './clients.js'
export {
  createStream,
  putRecords,
  waitForStreamActive,
  type LocalRecord,
  type PutResult,
  type StreamWaitOptions,
} from './streams.js'
export {
  shellExports,
  startLocalAws,
  type LocalAws,
  type StartLocalAwsOptions,
} from './local-aws.js'
export { pickFreePorts } from './ports.js'
export * from './kpl-encoder.js'
