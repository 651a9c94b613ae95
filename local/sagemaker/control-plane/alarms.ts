// Local stand-ins for the CloudWatch alarms named in AutoRollbackConfiguration. Each watches one
// metric of the NEW fleet only (like an alarm on the new variant's Invocation5XXErrors or
// ModelLatency), and is in ALARM when the fleet's value is greater than the threshold, once the
// fleet has served at least `minInvocations` requests (before that: INSUFFICIENT_DATA, no trip).
import { z } from 'zod';
import type { VariantMetrics } from './fleet-metrics.js';

export const LocalAlarm = z.object({
  metric: z.enum(['Invocation5XXErrors', 'ModelLatency', 'InvocationErrorRate']),
  /** Errors (count), microseconds (mean ModelLatency) or a rate in [0, 1]. */
  threshold: z.number().min(0),
  minInvocations: z.number().int().min(1).default(1),
});
export type LocalAlarm = z.input<typeof LocalAlarm>;
export const LocalAlarms = z.record(z.string().min(1), LocalAlarm);

export interface TrippedAlarm {
  alarmName: string;
  metric: LocalAlarm['metric'];
  value: number;
  threshold: number;
  invocations: number;
}

/** The fleet-wide value of a metric over its variants' counters. */
const fleetValue = (metric: LocalAlarm['metric'], rows: readonly VariantMetrics[]): number => {
  const invocations = rows.reduce((sum, r) => sum + r.Invocations, 0);
  const errors = rows.reduce((sum, r) => sum + r.Invocation5XXErrors, 0);
  if (metric === 'Invocation5XXErrors') return errors;
  if (metric === 'InvocationErrorRate') return invocations === 0 ? 0 : errors / invocations;
  const latencySum = rows.reduce((sum, r) => sum + r.ModelLatency * r.Invocations, 0);
  return invocations === 0 ? 0 : latencySum / invocations;
};

/** The first named alarm in ALARM state on this fleet's metrics, if any. */
export const trippedAlarm = (
  names: readonly string[],
  alarms: Readonly<Record<string, z.output<typeof LocalAlarm>>>,
  fleet: readonly VariantMetrics[],
): TrippedAlarm | undefined => {
  const invocations = fleet.reduce((sum, r) => sum + r.Invocations, 0);
  for (const alarmName of names) {
    const alarm = alarms[alarmName];
    if (!alarm || invocations < alarm.minInvocations) continue;
    const value = fleetValue(alarm.metric, fleet);
    if (value > alarm.threshold) {
      return { alarmName, metric: alarm.metric, value, threshold: alarm.threshold, invocations };
    }
  }
  return undefined;
};

export const describeTrip = (trip: TrippedAlarm): string =>
  `alarm ${trip.alarmName} went to ALARM: ${trip.metric} ${Number(trip.value.toFixed(4))} > ${trip.threshold} on the new fleet after ${trip.invocations} invocation(s)`;
