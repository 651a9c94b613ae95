// The local stand-in for the CloudWatch metrics and alarm of an engine canary: the forecast
// function's counts (functions/forecast/forecast-metrics.ts) kept with their time, and alarms
// over them answered as DescribeAlarms does (MetricAlarms with StateValue and StateReason). An
// alarm is the local SageMaker's kind (local/sagemaker/control-plane/alarms.ts: a metric, a
// threshold, a minimum of invocations), evaluated over the datapoints of its period that match
// its dimensions: the counts play a fleet's Invocations and Invocation5XXErrors.
import { z } from 'zod';
import {
  FORECAST_ERRORS_METRIC,
  FORECAST_METRICS_NAMESPACE,
  type ForecastMetrics,
} from '../../functions/forecast/forecast-metrics.js';
import { describeTrip, LocalAlarm, trippedAlarm } from '../sagemaker/control-plane/alarms.js';

export const LocalMetricAlarm = z.object({
  alarm: LocalAlarm,
  /** Datapoints count only when they carry every one of these dimension values. */
  dimensions: z.record(z.string(), z.string()),
  periodSeconds: z.number().int().min(1).default(300),
});
export type LocalMetricAlarm = z.input<typeof LocalMetricAlarm>;

interface Datapoint {
  at: number;
  dimensions: Record<string, string>;
  failed: boolean;
}

export interface MetricAlarm {
  AlarmName: string;
  Namespace: string;
  MetricName: string;
  StateValue: 'OK' | 'ALARM' | 'INSUFFICIENT_DATA';
  StateReason: string;
}

/** Datapoints older than this are let go (longer than any alarm period here). */
const KEEP_MS = 24 * 3_600_000;

export class LocalCloudWatch {
  private readonly alarms: Record<string, z.output<typeof LocalMetricAlarm>>;
  private points: Datapoint[] = [];

  constructor(
    alarms: Record<string, LocalMetricAlarm>,
    private readonly now: () => number = Date.now,
  ) {
    this.alarms = Object.fromEntries(
      Object.entries(alarms).map(([name, a]) => [name, LocalMetricAlarm.parse(a)]),
    );
  }

  /** The forecast function's metrics port, writing here (dimensions as on AWS). */
  forecastMetrics(service: string): ForecastMetrics {
    return {
      served: (count) => {
        const at = this.now();
        this.points = this.points.filter((p) => p.at >= at - KEEP_MS);
        this.points.push({
          at,
          dimensions: { Service: service, Role: count.role, Version: count.version },
          failed: count.failed,
        });
      },
    };
  }

  private stateOf(name: string, alarm: z.output<typeof LocalMetricAlarm>): MetricAlarm {
    const since = this.now() - alarm.periodSeconds * 1000;
    const matching = this.points.filter(
      (p) =>
        p.at >= since && Object.entries(alarm.dimensions).every(([k, v]) => p.dimensions[k] === v),
    );
    const fleet = [
      {
        EndpointConfigName: name,
        VariantName: 'forecast',
        Invocations: matching.length,
        Invocation4XXErrors: 0,
        Invocation5XXErrors: matching.filter((p) => p.failed).length,
        ModelLatency: 0,
        MaxModelLatency: 0,
      },
    ];
    const base = { AlarmName: name, Namespace: FORECAST_METRICS_NAMESPACE };
    const metric = { ...base, MetricName: FORECAST_ERRORS_METRIC };
    if (matching.length < alarm.alarm.minInvocations) {
      return {
        ...metric,
        StateValue: matching.length === 0 ? 'OK' : 'INSUFFICIENT_DATA',
        StateReason: `${matching.length} datapoint(s) in the last ${alarm.periodSeconds} s`,
      };
    }
    const trip = trippedAlarm([name], { [name]: alarm.alarm }, fleet);
    return trip
      ? { ...metric, StateValue: 'ALARM', StateReason: describeTrip(trip) }
      : {
          ...metric,
          StateValue: 'OK',
          StateReason: `${fleet[0]?.Invocation5XXErrors ?? 0} error(s) in ${matching.length} forecast(s) over the last ${alarm.periodSeconds} s`,
        };
  }

  /** DescribeAlarms by name: the named alarms that exist, in their current state. */
  async describeAlarms(request: Record<string, unknown>): Promise<Record<string, unknown>> {
    const names = (request.AlarmNames as string[] | undefined) ?? Object.keys(this.alarms);
    const MetricAlarms = names.flatMap((name) => {
      const alarm = this.alarms[name];
      return alarm ? [this.stateOf(name, alarm)] : [];
    });
    return { MetricAlarms, CompositeAlarms: [] };
  }
}
