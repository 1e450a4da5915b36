/**
 * What a sink did with the values recorded into it, counted in values (samples): every value
 * recorded is, at any moment, sent, dropped or buffered (`recorded = sent + dropped + buffered`).
 */
export interface MetricsStats {
  /** Values accepted by record() (with `mapboxKineStack`, a ShardIteratorAgeInMs value counts twice). */
  readonly recorded: number
  /** Values delivered: in data CloudWatch accepted, or in EMF lines written. */
  readonly sent: number
  /**
   * Values lost: the buffer was full (oldest dropped), a send failed past its retries or was
   * refused, the output threw, or the value was recorded after close().
   */
  readonly dropped: number
  /** Values waiting for the next flush, or in a send still in progress (or retrying). */
  readonly buffered: number
  /** Values refused by record(): NaN, ±Infinity, or outside the range CloudWatch accepts. */
  readonly invalid: number
  /** Successful PutMetricData calls, or EMF lines written. */
  readonly requests: number
  /** Failed PutMetricData attempts (each retry counts), or failed writes. */
  readonly failures: number
}
