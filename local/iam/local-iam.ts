// IAM, enforced in the local runtime: each caller signs its requests with its own access key id
// (its role's logical id in the template), and the stand-ins authorise every request against that
// role's policies — and the resource's own policy, where the template gives it one — with
// @cloud-copilot/iam-simulate, AWS's evaluation logic and its action/resource/condition data.
import { runSimulation } from '@cloud-copilot/iam-simulate';
import { LRUCache } from 'lru-cache';
import { type LocalCaller, roleOf } from './callers.js';
import {
  type CfnTemplate,
  type Deployment,
  evaluate,
  LOCAL_DEPLOYMENT,
  type PolicyDocument,
  roleIds,
  rolePolicies,
} from './template.js';

/** The twin's own key (fixtures, bookkeeping, operator tools): not a role, not enforced. */
export const TWIN_ACCESS_KEY_ID = 'S3RVER';

export interface AccessRequest {
  accessKeyId: string;
  action: string;
  /** The resource's ARN. */
  resource: string;
  /** Request context keys (s3:prefix, aws:SecureTransport, …). */
  context?: Record<string, string | string[]>;
}

export interface AccessDecision {
  allowed: boolean;
  /** The role the key belongs to. */
  role: string;
  /** AWS's wording of a denial (names the role, the action and the resource). */
  message: string;
}

export class LocalIam {
  private readonly policies = new Map<string, Array<{ name: string; policy: PolicyDocument }>>();
  private readonly resourcePolicies: Array<{ arnPrefix: string; policy: PolicyDocument }> = [];
  private readonly decisions = new LRUCache<string, AccessDecision>({ max: 100_000 });

  constructor(
    readonly template: CfnTemplate,
    readonly deployment: Deployment = LOCAL_DEPLOYMENT,
    /** Sees every decision (tests use it to show which statement each call needs). */
    private readonly onDecision?: (request: AccessRequest, decision: AccessDecision) => void,
  ) {
    for (const id of roleIds(template)) {
      this.policies.set(id, rolePolicies(template, id, deployment));
    }
    // Bucket policies apply to the bucket and its objects.
    for (const resource of Object.values(template.Resources)) {
      if (resource.Type !== 'AWS::S3::BucketPolicy') continue;
      const bucket = String(evaluate(template, resource.Properties?.Bucket, deployment));
      this.resourcePolicies.push({
        arnPrefix: `arn:${deployment.partition}:s3:::${bucket}`,
        policy: evaluate(
          template,
          resource.Properties?.PolicyDocument,
          deployment,
        ) as PolicyDocument,
      });
    }
  }

  /** The role `caller` runs as. */
  roleOf(caller: LocalCaller): string {
    return roleOf(this.template, caller);
  }

  /** The credentials `caller` signs with: its role's logical id as the access key id. */
  credentialsOf(caller: LocalCaller): { accessKeyId: string; secretAccessKey: string } {
    const role = this.roleOf(caller);
    return { accessKeyId: role, secretAccessKey: role };
  }

  /** Whether `accessKeyId` is one of the template's roles. */
  knows(accessKeyId: string): boolean {
    return this.policies.has(accessKeyId);
  }

  /** A resource's physical name in the template (e.g. LakeBucket → its BucketName). */
  physicalName(logicalId: string): string {
    return String(evaluate(this.template, { Ref: logicalId }, this.deployment));
  }

  async authorize(request: AccessRequest): Promise<AccessDecision> {
    // The template never changes under an instance, so a decision is a pure function of the
    // request: cached, as a fleet's hot path asks about the same few thousand keys again and
    // again (the simulation is most of the twin's CPU otherwise).
    const key = JSON.stringify([
      request.accessKeyId,
      request.action,
      request.resource,
      request.context ?? null,
    ]);
    let decision = this.decisions.get(key);
    if (!decision) {
      decision = await this.decide(request);
      this.decisions.set(key, decision);
    }
    this.onDecision?.(request, decision);
    return decision;
  }

  private async decide(request: AccessRequest): Promise<AccessDecision> {
    const role = request.accessKeyId;
    const identityPolicies = this.policies.get(role);
    if (!identityPolicies) throw new Error(`no role ${role} in the template`);
    const { accountId, partition } = this.deployment;
    const principal = `arn:${partition}:iam::${accountId}:role/${role}`;
    const resourcePolicy = this.resourcePolicies.find(
      (p) => request.resource === p.arnPrefix || request.resource.startsWith(`${p.arnPrefix}/`),
    )?.policy;
    const result = await runSimulation(
      {
        identityPolicies,
        serviceControlPolicies: [],
        resourceControlPolicies: [],
        resourcePolicy,
        request: {
          principal,
          action: request.action,
          resource: { accountId, resource: request.resource },
          contextVariables: {
            'aws:PrincipalArn': principal,
            'aws:PrincipalAccount': accountId,
            // The SDKs call AWS over TLS; the local stand-ins stand for that.
            'aws:SecureTransport': 'true',
            ...request.context,
          },
        },
      },
      {},
    );
    if (result.resultType === 'error') {
      throw new Error(
        `IAM simulation of ${request.action} on ${request.resource} failed: ${JSON.stringify(result.errors)}`,
      );
    }
    const outcome = result.overallResult;
    if (outcome === 'Allowed') return { allowed: true, role, message: '' };
    const why =
      outcome === 'ExplicitlyDenied'
        ? 'with an explicit deny in a policy'
        : `because no identity-based policy allows the ${request.action} action`;
    return {
      allowed: false,
      role,
      message: `User: arn:${partition}:sts::${accountId}:assumed-role/${role}/local is not authorized to perform: ${request.action} on resource: "${request.resource}" ${why}`,
    };
  }
}
