import { Args, Flags } from '@oclif/core'
import { consoleLogger, listShards, ResourceNotFoundError, systemClock } from '@kine/core'
import { KineCommand } from '../base-command.js'
import { PullProgress, type ProgressMode } from '../pull/progress.js'
import {
  childPosition,
  ITERATOR_TYPES,
  normalizeShardId,
  SPEEDS,
  startPosition,
} from '../pull/pull-flags.js'
import { runPull, type PullEnd, type PullShard } from '../pull/pull-session.js'
import { RECORD_FORMATS } from '../pull/record-line.js'
import { folderSink, streamSink, type RecordSink } from '../pull/record-sink.js'
import { isOpen } from '../stream-report.js'

const ENDS: Record<PullEnd, string> = {
  max: '--max reached',
  'caught-up': 'caught up',
  ended: 'every shard ended',
  interrupted: 'stopped',
  'output-closed': 'output closed',
}

/** `kine pull <stream>`: records of some or all shards, to stdout or one file per shard. */
export class Pull extends KineCommand {
  static override summary = "Read records from a stream's shards, to stdout or one file per shard."

  static override description = `Reads the chosen shards at once with kine's shard reader (throttling, retries and KPL de-aggregation built in). Without -o, each record becomes one line on stdout; progress and logs go to stderr, so stdout can be piped. With -o, each shard's records are appended to <folder>/<shardId>.json, one per line, while stderr shows how many records each shard gave and how far behind it is.

The pull runs until Ctrl-C, --max records, --until-caught-up, or until every shard read has ended (a closed shard ends; without --follow-children its children are not read). A parent shard is always read to its end before its children.

--format text writes the data as UTF-8 text (data holding newlines then spans several lines: use base64 or json for such data); json writes one object per record: shardId, partitionKey, sequenceNumber, subSequenceNumber, approximateArrivalTimestamp, explicitHashKey (KPL), aggregated, encoding (utf8 or base64) and data.`

  static override examples = [
    {
      description: 'New records of every open shard, to stdout (LATEST).',
      command: '<%= config.bin %> <%= command.id %> orders',
    },
    {
      description: 'One shard only.',
      command: '<%= config.bin %> <%= command.id %> orders -i shardId-000000000001',
    },
    {
      description: 'Everything still in the stream, as JSON lines, then stop.',
      command:
        '<%= config.bin %> <%= command.id %> orders -t TRIM_HORIZON --format json --until-caught-up',
    },
    {
      description: 'From a point in time, one file per shard in ./out.',
      command:
        '<%= config.bin %> <%= command.id %> orders -t AT_TIMESTAMP -d 2017-07-08T01:15:00Z -o out',
    },
    {
      description: 'From one record on, following the shard into its children after a reshard.',
      command:
        '<%= config.bin %> <%= command.id %> orders -t AT_SEQUENCE_NUMBER -s 49577069164543465601764791612224223308824083975458783234 -i shardId-000000000001 --follow-children',
    },
    {
      description: 'The first 100 records from the start, one call per shard per second.',
      command: '<%= config.bin %> <%= command.id %> orders -t TRIM_HORIZON -z fast --max 100',
    },
  ]

  static override args = {
    stream: Args.string({ description: 'name of the Kinesis stream', required: true }),
  }

  static override flags = {
    type: Flags.option({
      char: 't',
      options: ITERATOR_TYPES,
      default: 'LATEST' as const,
      description: 'where to start reading',
    })(),
    timestamp: Flags.string({
      char: 'd',
      description: 'with -t AT_TIMESTAMP: the time to start at, epoch milliseconds or an ISO date',
    }),
    'sequence-number': Flags.string({
      char: 's',
      description: 'with -t AT_SEQUENCE_NUMBER: the sequence number to start at (needs one -i)',
    }),
    'shard-id': Flags.string({
      char: 'i',
      multiple: true,
      // One value per -i, so `kine pull -i 1 orders` works too.
      multipleNonGreedy: true,
      delimiter: ',',
      description:
        'a shard to read (repeatable, or comma-separated; `7` means shardId-000000000007) [default: the open shards for LATEST, every shard otherwise]',
    }),
    speed: Flags.option({
      char: 'z',
      options: ['slow', 'normal', 'fast'] as const,
      description:
        "a fixed wait between two calls on a shard: slow 3 s, normal 2 s, fast 1 s [default: the reader's own pacing, as fast as the shard limits allow and 200 ms apart when caught up]",
    })(),
    output: Flags.string({
      char: 'o',
      description:
        "a folder: each shard's records are appended to <folder>/<shardId>.json [default: stdout]",
    }),
    format: Flags.option({
      options: RECORD_FORMATS,
      default: 'text' as const,
      description:
        "each line: the data as text, as base64, or a JSON object with the record's metadata",
    })(),
    'follow-children': Flags.boolean({
      description:
        'when a shard ends, go on with its child shards (once all their parents have ended)',
    }),
    max: Flags.integer({ min: 1, description: 'stop after this many records in total' }),
    'until-caught-up': Flags.boolean({
      description:
        'stop once every shard read has returned an empty batch with MillisBehindLatest 0',
    }),
    quiet: Flags.boolean({
      char: 'q',
      description: 'no progress on stderr (errors and warnings still show)',
    }),
  }

  async run(): Promise<void> {
    const { args, flags } = await this.parse(Pull)
    const shardIds = (flags['shard-id'] ?? []).map((id) => normalizeShardId(id.trim()))
    const position = startPosition({
      type: flags.type,
      timestamp: flags.timestamp,
      sequenceNumber: flags['sequence-number'],
      shardIds,
    })
    const aws = await this.awsClients(flags)
    const kinesis = aws.kinesis()
    const streamName = args.stream
    const listing = await listShards(kinesis, { streamName, maxAttempts: 3 })
    const known = new Map(listing.map((s) => [s.ShardId ?? '', s]))
    const unknown = shardIds.filter((id) => !known.has(id))
    if (unknown.length > 0) {
      throw new ResourceNotFoundError(
        'SHARD_NOT_FOUND',
        `stream "${streamName}" has no shard ${unknown.join(', ')}; its shards are ${[...known.keys()].join(', ')}`,
      )
    }
    const chosen =
      shardIds.length > 0
        ? shardIds.flatMap((id) => known.get(id) ?? [])
        : listing.filter((s) => flags.type !== 'LATEST' || isOpen(s))
    const shards: PullShard[] = chosen.map((s) => ({
      shardId: s.ShardId ?? '',
      parentShardIds: [s.ParentShardId, s.AdjacentParentShardId].filter((p) => p !== undefined),
    }))

    const toFiles = flags.output !== undefined
    const mode: ProgressMode = flags.quiet
      ? 'quiet'
      : !process.stderr.isTTY
        ? 'lines'
        : toFiles || !process.stdout.isTTY
          ? 'live'
          : 'events'
    const progress = new PullProgress({ mode, write: (text) => void process.stderr.write(text) })
    const logger = consoleLogger('kine', {
      level: flags.debug ? 'debug' : 'warn',
      write: (line) => progress.interject(line),
    })
    const sink: RecordSink = toFiles
      ? await folderSink(flags.output as string)
      : streamSink(process.stdout)

    // Ctrl-C (or a kill) ends the pull cleanly: readers stop, lines in flight are written, files
    // closed. A second Ctrl-C quits at once.
    const interrupt = new AbortController()
    const onSignal = (): void => {
      if (interrupt.signal.aborted) process.exit(130)
      interrupt.abort()
    }
    process.on('SIGINT', onSignal)
    process.on('SIGTERM', onSignal)
    // The reader's waits do not hold the process open by themselves; this timer does, and
    // redraws the progress.
    const ticker = setInterval(() => progress.render(), 250)
    const startedAt = systemClock.now()
    try {
      const result = await runPull({
        client: kinesis,
        streamName,
        shards,
        position,
        childPosition: childPosition(position),
        followChildren: flags['follow-children'],
        ...(flags.max === undefined ? {} : { max: flags.max }),
        untilCaughtUp: flags['until-caught-up'],
        ...(flags.speed === undefined ? {} : { intervalMs: SPEEDS[flags.speed] }),
        format: flags.format,
        sink,
        progress,
        signal: interrupt.signal,
        logger,
      })
      await sink.close()
      progress.finish(ENDS[result.end], systemClock.now() - startedAt)
    } catch (error) {
      await sink.close().catch(() => {})
      progress.finish('failed', systemClock.now() - startedAt)
      throw error
    } finally {
      clearInterval(ticker)
      process.off('SIGINT', onSignal)
      process.off('SIGTERM', onSignal)
    }
  }
}
