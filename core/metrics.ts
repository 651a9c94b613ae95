// The pollutant metrics smogcast forecasts. Their order is the DeepAR `cat[1]` index: never reorder.
export const METRICS = ['o3', 'pm25', 'pm10', 'co', 'so2', 'no2'] as const;
export type Metric = (typeof METRICS)[number];

export const isMetric = (value: unknown): value is Metric =>
  typeof value === 'string' && (METRICS as readonly string[]).includes(value);

export const metricIndex = (metric: Metric): number => METRICS.indexOf(metric);
