// The service limits the sinks split and validate against, in one place.

/** PutMetricData: most metric data in one request. */
export const MAX_DATA_PER_REQUEST = 1000

/**
 * PutMetricData: the request body limit is 1 MB. Kept below 1 MiB with room to spare because
 * the size is estimated (as an upper bound for the JSON encoding), not measured.
 */
export const MAX_REQUEST_BYTES = 1_000_000

/** PutMetricData: most entries in one datum's `Values`/`Counts`. */
export const MAX_VALUES_PER_DATUM = 150

/** CloudWatch: most dimensions on one metric (PutMetricData and EMF alike). */
export const MAX_DIMENSIONS = 30

/** EMF: most values in one metric's array on one line. */
export const MAX_EMF_VALUES_PER_METRIC = 100

/** EMF: most metric definitions in one directive (so on one line). */
export const MAX_EMF_METRICS_PER_LINE = 100

/**
 * EMF: a line is one CloudWatch Logs event, at most 256 KB (1 MB in newer Logs limits);
 * lines are kept under the older limit so they pass either.
 */
export const MAX_EMF_LINE_BYTES = 200_000

/** CloudWatch rejects values beyond ±2^360... */
export const MAX_ABS_VALUE: number = 2 ** 360
/** ...and non-zero values closer to zero than 2^-260. */
export const MIN_ABS_VALUE: number = 2 ** -260

/** Longest dimension value (at least 1 character). */
export const MAX_DIMENSION_VALUE_LENGTH = 1024
/** Longest namespace, metric name or dimension name. */
export const MAX_NAME_LENGTH = 255
