// The forecast Lambda's model metrics: one count per model answer (Forecasts) and per model
// failure (ForecastErrors), by the side that served it (Role: champion | canary) and by version.
// On AWS they are CloudWatch Embedded Metric Format lines on stdout (no API call, no IAM): the
// canary's error alarm (serverless.yml CanaryForecastErrorsAlarm) watches Role=canary. The local
// twin records them in its CloudWatch stand-in (local/cloudwatch).
import type { ServedRole } from '../../core/engine-canary.js';

/** Namespace and dimension names the alarm in serverless.yml names. */
export const FORECAST_METRICS_NAMESPACE = 'smogcast/forecast';
export const FORECASTS_METRIC = 'Forecasts';
export const FORECAST_ERRORS_METRIC = 'ForecastErrors';

export interface ServedCount {
  version: string;
  role: ServedRole;
  /** The model failed to answer (a 5xx), as opposed to answering. */
  failed: boolean;
}

export interface ForecastMetrics {
  served(count: ServedCount): void;
}

/** The dimensions of one count: the service (the stage's endpoint name) and the role. */
export const dimensionsOf = (service: string, count: ServedCount): Record<string, string> => ({
  Service: service,
  Role: count.role,
});

/** One EMF document: both metrics, per (Service, Role) and per (Service, Version). */
export const emfLine = (service: string, count: ServedCount, timestamp: number): string =>
  JSON.stringify({
    _aws: {
      Timestamp: timestamp,
      CloudWatchMetrics: [
        {
          Namespace: FORECAST_METRICS_NAMESPACE,
          Dimensions: [
            ['Service', 'Role'],
            ['Service', 'Version'],
          ],
          Metrics: [
            { Name: FORECASTS_METRIC, Unit: 'Count' },
            { Name: FORECAST_ERRORS_METRIC, Unit: 'Count' },
          ],
        },
      ],
    },
    ...dimensionsOf(service, count),
    Version: count.version,
    [FORECASTS_METRIC]: 1,
    [FORECAST_ERRORS_METRIC]: count.failed ? 1 : 0,
  });

export const emfForecastMetrics = (
  service: string,
  write: (line: string) => void = (line) => process.stdout.write(`${line}\n`),
  now: () => number = Date.now,
): ForecastMetrics => ({
  served: (count) => write(emfLine(service, count, now())),
});
