// The local CloudWatch stand-in: the forecast function's counts by role, and an alarm over its
// period's datapoints answered as DescribeAlarms does.
import { describe, expect, it } from 'vitest';
import { emfLine } from '../../../../functions/forecast/forecast-metrics.js';
import { LocalCloudWatch } from '../../../../local/cloudwatch/local-cloudwatch.js';

const alarmed = (now: () => number) =>
  new LocalCloudWatch(
    {
      'canary-errors': {
        alarm: { metric: 'Invocation5XXErrors', threshold: 0 },
        dimensions: { Role: 'canary' },
        periodSeconds: 300,
      },
    },
    now,
  );
const stateOf = async (cloudwatch: LocalCloudWatch) =>
  (
    (await cloudwatch.describeAlarms({ AlarmNames: ['canary-errors', 'missing'] })) as {
      MetricAlarms: Array<{ AlarmName: string; StateValue: string; StateReason: string }>;
    }
  ).MetricAlarms;

describe('LocalCloudWatch', () => {
  it("goes to ALARM on a canary's failure in the period, not on the champion's, and back to OK after it", async () => {
    // Prepare
    let now = Date.parse('2026-11-20T00:00:00Z');
    const cloudwatch = alarmed(() => now);
    const metrics = cloudwatch.forecastMetrics('smogcast');

    // Act / Assess: champion failures and canary answers do not trip it.
    metrics.served({ version: 'v1', role: 'champion', failed: true });
    metrics.served({ version: 'v2', role: 'canary', failed: false });
    expect((await stateOf(cloudwatch))[0]?.StateValue).toBe('OK');
    metrics.served({ version: 'v2', role: 'canary', failed: true });
    const [alarm, ...others] = await stateOf(cloudwatch);
    expect(others).toEqual([]);
    expect(alarm).toMatchObject({ AlarmName: 'canary-errors', StateValue: 'ALARM' });
    expect(alarm?.StateReason).toContain('Invocation5XXErrors 1 > 0');
    now += 301_000;
    expect((await stateOf(cloudwatch))[0]?.StateValue).toBe('OK');
  });
});

describe('emfLine', () => {
  it('writes one Embedded Metric Format document per count, by role and by version', () => {
    const doc = JSON.parse(
      emfLine('smogcast-dev', { version: 'v2', role: 'canary', failed: true }, 1),
    );
    expect(doc).toMatchObject({
      Service: 'smogcast-dev',
      Role: 'canary',
      Version: 'v2',
      Forecasts: 1,
      ForecastErrors: 1,
    });
    expect(doc._aws.CloudWatchMetrics[0]).toMatchObject({
      Namespace: 'smogcast/forecast',
      Dimensions: [
        ['Service', 'Role'],
        ['Service', 'Version'],
      ],
    });
  });
});
