// IAM for the calls the local runtime makes outside S3 and the SageMaker control plane:
// InvokeEndpoint (the forecast function, check-drift and score-ab, each signing as its role, as
// the local endpoint server sees them) and the state machine's SNS Publish. Names the twin uses
// (its endpoint, its topic) are read as the template's, so the policies' resources apply.
import type { InvokeAuthorizer } from '../sagemaker/control-plane/runtime-server.js';
import { templateNames } from './authorized-sagemaker.js';
import type { LocalIam } from './local-iam.js';

/**
 * The local endpoint server's authoriser: a key that is one of the template's roles must be
 * allowed sagemaker:InvokeEndpoint on the endpoint; the twin's own key (fixtures, benchmarks) is
 * not a role and is not enforced, as in the local S3.
 */
export const invokeEndpointAuthorizer = (
  iam: LocalIam,
  localEndpointName: string,
): InvokeAuthorizer => {
  const name = templateNames(iam, { EndpointName: localEndpointName });
  const { accountId, region, partition } = iam.deployment;
  return async (accessKeyId, endpointName) => {
    if (accessKeyId === undefined || !iam.knows(accessKeyId)) return undefined;
    const decision = await iam.authorize({
      accessKeyId,
      action: 'sagemaker:InvokeEndpoint',
      resource: `arn:${partition}:sagemaker:${region}:${accountId}:endpoint/${name(endpointName).toLowerCase()}`,
    });
    return decision.allowed ? undefined : decision.message;
  };
};

/** What SNS answers a Publish its caller may not make (the SDK's AuthorizationErrorException). */
export class AuthorizationErrorException extends Error {
  override readonly name = 'AuthorizationErrorException';
}

export interface Notification {
  TopicArn: string;
  Subject?: string;
  Message: string;
}

/** The state machine's SNS Publish, authorised as its role on the template's topic first. */
export const authorizedNotify = (
  notify: (message: Notification) => Promise<void>,
  iam: LocalIam,
  localSubstitutions: Record<string, string>,
): ((message: Notification) => Promise<void>) => {
  const name = templateNames(iam, localSubstitutions);
  const accessKeyId = iam.credentialsOf('retrain-state-machine').accessKeyId;
  return async (message) => {
    const decision = await iam.authorize({
      accessKeyId,
      action: 'sns:Publish',
      resource: name(message.TopicArn),
    });
    if (!decision.allowed) throw new AuthorizationErrorException(decision.message);
    await notify(message);
  };
};
