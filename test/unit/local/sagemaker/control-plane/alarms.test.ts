import { describe, expect, it } from 'vitest';
import {
  describeTrip,
  LocalAlarms,
  trippedAlarm,
} from '../../../../../local/sagemaker/control-plane/alarms.js';
import { FleetMetrics } from '../../../../../local/sagemaker/control-plane/fleet-metrics.js';

const alarms = LocalAlarms.parse({
  errors: { metric: 'Invocation5XXErrors', threshold: 0 },
  rate: { metric: 'InvocationErrorRate', threshold: 0.2, minInvocations: 10 },
  latency: { metric: 'ModelLatency', threshold: 500_000 },
});

describe('FleetMetrics', () => {
  it('counts invocations, errors and mean latency per fleet and variant', () => {
    // Prepare
    const metrics = new FleetMetrics();

    // Act
    metrics.record('green', 'primary', 'ok', 100);
    metrics.record('green', 'primary', 'modelError', 300);
    metrics.record('green', 'primary', 'clientError', 200);
    metrics.record('blue', 'primary', 'ok', 50);

    // Assess
    expect(metrics.snapshot(['green'])).toEqual([
      {
        EndpointConfigName: 'green',
        VariantName: 'primary',
        Invocations: 3,
        Invocation4XXErrors: 1,
        Invocation5XXErrors: 1,
        ModelLatency: 200,
        MaxModelLatency: 300,
      },
    ]);
    metrics.reset('green');
    expect(metrics.snapshot(['green', 'blue']).map((m) => m.EndpointConfigName)).toEqual(['blue']);
  });
});

describe('trippedAlarm', () => {
  it('trips an error-count alarm on the first model error of the fleet', () => {
    // Prepare
    const metrics = new FleetMetrics();
    metrics.record('green', 'primary', 'ok', 10);
    expect(trippedAlarm(['errors'], alarms, metrics.snapshot(['green']))).toBeUndefined();
    metrics.record('green', 'primary', 'modelError', 10);

    // Act
    const trip = trippedAlarm(['errors'], alarms, metrics.snapshot(['green']));

    // Assess
    expect(trip).toEqual({
      alarmName: 'errors',
      metric: 'Invocation5XXErrors',
      value: 1,
      threshold: 0,
      invocations: 2,
    });
    expect(describeTrip(trip as never)).toMatch(
      /alarm errors went to ALARM: Invocation5XXErrors 1 > 0/,
    );
  });

  it('waits for minInvocations before judging an error rate', () => {
    // Prepare
    const metrics = new FleetMetrics();
    for (let i = 0; i < 9; i++) metrics.record('green', 'primary', 'modelError', 10);
    const early = trippedAlarm(['rate'], alarms, metrics.snapshot(['green']));
    metrics.record('green', 'primary', 'ok', 10);

    // Act
    const late = trippedAlarm(['rate'], alarms, metrics.snapshot(['green']));

    // Assess
    expect(early).toBeUndefined();
    expect(late).toMatchObject({ alarmName: 'rate', value: 0.9 });
  });

  it('trips a latency alarm on the mean ModelLatency in microseconds, only the named ones', () => {
    // Prepare
    const metrics = new FleetMetrics();
    metrics.record('green', 'primary', 'ok', 900_000);
    metrics.record('green', 'primary', 'ok', 300_000);

    // Act
    const named = trippedAlarm(['latency'], alarms, metrics.snapshot(['green']));
    const unnamed = trippedAlarm(['errors'], alarms, metrics.snapshot(['green']));

    // Assess
    expect(named).toMatchObject({ metric: 'ModelLatency', value: 600_000 });
    expect(unnamed).toBeUndefined();
  });
});
