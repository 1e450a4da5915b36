// Turns aggregated data into CloudWatch Embedded Metric Format lines: one JSON object per line,
// grouping the metrics that share a dimension set, with `_aws.CloudWatchMetrics` telling
// CloudWatch Logs which members are metrics and which are dimensions.
//
// EMF carries plain values (no counts): a series' values are written out with their repetitions,
// at most 100 per metric per line, continuing on further lines of the same dimension set. So
// SampleCount, Sum, Minimum, Maximum and Average are exact, and percentiles too while the series
// kept its distinct values; a series reduced to a statistic set (more than 150 distinct values)
// is written as its minimum, its maximum and the mean of the rest for the remaining samples,
// which keeps those five statistics exact.

import type { AggregatedDatum } from './metric-buffer.js'
import {
  MAX_EMF_LINE_BYTES,
  MAX_EMF_METRICS_PER_LINE,
  MAX_EMF_VALUES_PER_METRIC,
} from './limits.js'

/** One EMF line (no newline) and the number of recorded values it carries. */
export interface EmfLine {
  readonly text: string
  readonly values: number
}

/** A metric still to be written for one dimension set. */
interface Entry {
  readonly name: string
  readonly unit: string
  readonly cursor: ValueCursor
}

/** Writes `data` as EMF lines, calling `emit` for each; returns nothing so lines stream out. */
export function writeEmfLines(
  namespace: string,
  data: readonly AggregatedDatum[],
  emit: (line: EmfLine) => void,
): void {
  for (const group of groupByDimensions(data)) {
    const first = group[0]!
    const dimensionMembers = first.dimensions.map(
      (d) => `${JSON.stringify(d.Name)}:${JSON.stringify(d.Value)}`,
    )
    const dimensionNames = JSON.stringify([first.dimensions.map((d) => d.Name)])
    const timestamp = Math.min(...group.map((d) => d.timestamp))
    const head = `{"_aws":{"Timestamp":${Math.round(timestamp)},"CloudWatchMetrics":[{"Namespace":${JSON.stringify(namespace)},"Dimensions":${dimensionNames},"Metrics":[`
    const tail = dimensionMembers.length > 0 ? `,${dimensionMembers.join(',')}` : ''
    const fixedBytes = Buffer.byteLength(head) + Buffer.byteLength(tail) + 10

    let pending: Entry[] = group.map((d) => ({
      name: d.name,
      unit: d.unit,
      cursor: new ValueCursor(d),
    }))
    while (pending.length > 0) {
      const definitions: string[] = []
      const members: string[] = []
      let bytes = fixedBytes
      let values = 0
      const rest: Entry[] = []
      for (const entry of pending) {
        const chunkBytes = 60 + 2 * Buffer.byteLength(entry.name) + MAX_EMF_VALUES_PER_METRIC * 25
        if (
          definitions.length >= MAX_EMF_METRICS_PER_LINE ||
          bytes + chunkBytes > MAX_EMF_LINE_BYTES
        ) {
          rest.push(entry) // on the next line of this dimension set
          continue
        }
        const chunk = entry.cursor.next(MAX_EMF_VALUES_PER_METRIC)
        definitions.push(
          `{"Name":${JSON.stringify(entry.name)},"Unit":${JSON.stringify(entry.unit)}}`,
        )
        members.push(
          `${JSON.stringify(entry.name)}:${chunk.length === 1 ? String(chunk[0]) : `[${chunk.join(',')}]`}`,
        )
        bytes += chunkBytes
        values += chunk.length
        if (!entry.cursor.done) rest.push(entry)
      }
      emit({ text: `${head}${definitions.join(',')}]}]},${members.join(',')}${tail}}`, values })
      pending = rest
    }
  }
}

/**
 * Groups data by dimension set (names and values). A metric name can be a member only once per
 * line, so a second datum of the same name and dimensions (another unit) opens another group.
 */
function groupByDimensions(data: readonly AggregatedDatum[]): AggregatedDatum[][] {
  const groups = new Map<string, AggregatedDatum[]>()
  for (const datum of data) {
    const base = JSON.stringify(datum.dimensions.map((d) => [d.Name, d.Value]))
    for (let i = 0; ; i++) {
      const key = `${i}${base}`
      const group = groups.get(key)
      if (group === undefined) {
        groups.set(key, [datum])
        break
      }
      if (!group.some((d) => d.name === datum.name)) {
        group.push(datum)
        break
      }
    }
  }
  return [...groups.values()]
}

/** Hands out a datum's values in chunks, without materialising them all at once. */
class ValueCursor {
  readonly #values: readonly number[]
  readonly #counts: readonly number[]
  #index = 0
  #usedOfIndex = 0

  constructor(datum: AggregatedDatum) {
    if (datum.values !== undefined && datum.counts !== undefined) {
      this.#values = datum.values
      this.#counts = datum.counts
    } else {
      this.#values = statisticSetValues(datum)
      this.#counts = statisticSetCounts(datum)
    }
  }

  get done(): boolean {
    return this.#index >= this.#values.length
  }

  next(max: number): number[] {
    const out: number[] = []
    while (out.length < max && this.#index < this.#values.length) {
      const take = Math.min(max - out.length, this.#counts[this.#index]! - this.#usedOfIndex)
      for (let i = 0; i < take; i++) out.push(this.#values[this.#index]!)
      this.#usedOfIndex += take
      if (this.#usedOfIndex >= this.#counts[this.#index]!) {
        this.#index++
        this.#usedOfIndex = 0
      }
    }
    return out
  }
}

function statisticSetValues(d: AggregatedDatum): number[] {
  if (d.sampleCount <= 1) return [d.min]
  if (d.sampleCount === 2) return [d.min, d.max]
  const rest = (d.sum - d.min - d.max) / (d.sampleCount - 2)
  return [d.min, d.max, Math.min(d.max, Math.max(d.min, rest))]
}

function statisticSetCounts(d: AggregatedDatum): number[] {
  if (d.sampleCount <= 1) return [1]
  if (d.sampleCount === 2) return [1, 1]
  return [1, 1, d.sampleCount - 2]
}
