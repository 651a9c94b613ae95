import { describe, expect, it } from 'vitest';
import { endpointRepair } from '../../../local/run-recovery.js';

describe('endpointRepair', () => {
  const card = { endpointConfigName: 'smogcast-v1' };

  it('leaves an endpoint alone that serves the card config, or that does not exist', () => {
    expect(
      endpointRepair({ EndpointStatus: 'InService', EndpointConfigName: 'smogcast-v1' }, card),
    ).toEqual({ kind: 'none' });
    expect(endpointRepair(undefined, card)).toEqual({ kind: 'none' });
  });

  it('waits while a deployment is under way', () => {
    expect(
      endpointRepair({ EndpointStatus: 'Updating', EndpointConfigName: 'smogcast-v1' }, card),
    ).toEqual({ kind: 'wait' });
    expect(
      endpointRepair(
        {
          EndpointStatus: 'InService',
          EndpointConfigName: 'smogcast-v1',
          PendingDeploymentSummary: { EndpointConfigName: 'smogcast-v2' },
        },
        card,
      ),
    ).toEqual({ kind: 'wait' });
  });

  it('rolls back a config the card does not name to the card config', () => {
    expect(
      endpointRepair({ EndpointStatus: 'InService', EndpointConfigName: 'smogcast-v2' }, card),
    ).toEqual({
      kind: 'rollback',
      from: 'smogcast-v2',
      to: 'smogcast-v1',
    });
  });

  it('reports a config served with no card at all, which it cannot roll back', () => {
    expect(
      endpointRepair({ EndpointStatus: 'InService', EndpointConfigName: 'smogcast-v2' }, undefined),
    ).toEqual({
      kind: 'unregistered',
      config: 'smogcast-v2',
    });
  });
});
