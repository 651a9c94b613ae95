// Per-fleet, per-variant invocation counters: the CloudWatch metrics SageMaker publishes for an
// endpoint (Invocations, Invocation4XXErrors, Invocation5XXErrors, ModelLatency in microseconds),
// kept per endpoint config so the new fleet's alarms see only the new fleet's traffic.

export type InvocationOutcome = 'ok' | 'clientError' | 'modelError';

export interface VariantMetrics {
  EndpointConfigName: string;
  VariantName: string;
  Invocations: number;
  Invocation4XXErrors: number;
  Invocation5XXErrors: number;
  /** Mean ModelLatency in microseconds (0 before the first call). */
  ModelLatency: number;
  MaxModelLatency: number;
}

const key = (configName: string, variantName: string) => `${configName}\u0000${variantName}`;

export class FleetMetrics {
  private readonly counters = new Map<string, VariantMetrics & { latencySum: number }>();

  record(
    configName: string,
    variantName: string,
    outcome: InvocationOutcome,
    latencyMicros: number,
  ): void {
    const id = key(configName, variantName);
    let c = this.counters.get(id);
    if (!c) {
      c = {
        EndpointConfigName: configName,
        VariantName: variantName,
        Invocations: 0,
        Invocation4XXErrors: 0,
        Invocation5XXErrors: 0,
        ModelLatency: 0,
        MaxModelLatency: 0,
        latencySum: 0,
      };
      this.counters.set(id, c);
    }
    c.Invocations += 1;
    if (outcome === 'clientError') c.Invocation4XXErrors += 1;
    if (outcome === 'modelError') c.Invocation5XXErrors += 1;
    c.latencySum += latencyMicros;
    c.ModelLatency = c.latencySum / c.Invocations;
    c.MaxModelLatency = Math.max(c.MaxModelLatency, latencyMicros);
  }

  /** Forgets a fleet's counters: a new deployment of a config starts from zero. */
  reset(configName: string): void {
    for (const [id, c] of this.counters) {
      if (c.EndpointConfigName === configName) this.counters.delete(id);
    }
  }

  /** Counters of the given fleets, one row per variant, in first-seen order. */
  snapshot(configNames: readonly string[]): VariantMetrics[] {
    return [...this.counters.values()]
      .filter((c) => configNames.includes(c.EndpointConfigName))
      .map(({ latencySum: _, ...metrics }) => ({ ...metrics }));
  }
}
