// Fleets as the integration tests run them: on a local broker, backfill only unless a test asks
// for real time, and always stopped afterwards, also when the test fails.
import { type Fleet, type FleetOptions, startFleet } from '../../../device/fleet.js';

export type LocalFleetOptions = Omit<FleetOptions, 'broker' | 'realtime'> & { realtime?: boolean };

/** Starts a fleet, runs `body` with it, then stops it (stop() is idempotent) whatever happens. */
export const withLocalFleet = async <T>(
  url: string,
  options: LocalFleetOptions,
  body: (fleet: Fleet) => Promise<T>,
): Promise<T> => {
  const fleet = await startFleet({ broker: { kind: 'local', url }, realtime: false, ...options });
  try {
    return await body(fleet);
  } finally {
    await fleet.stop();
  }
};

/** Runs a fleet's backfill to the end and stops it; returns it for its stats. */
export const runBackfill = (url: string, options: LocalFleetOptions): Promise<Fleet> =>
  withLocalFleet(url, options, async (fleet) => {
    await fleet.backfillDone;
    return fleet;
  });
