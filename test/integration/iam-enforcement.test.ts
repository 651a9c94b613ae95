// IAM enforced by the local twin: the local S3 answers a request its caller's role does not allow
// as S3 does (403, <Code>AccessDenied</Code>, the role and the action in the message), and every
// statement of every local caller's role is needed by a call the pipeline really makes — removing
// any one of them denies that call, with the role and the action in the message.
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemoryObjectStore } from '../../functions/common/adapters/memory-object-store.js';
import { SageMakerEndpoint } from '../../functions/common/adapters/sagemaker-endpoint.js';
import { createLocalS3Client, LOCAL_S3_CREDENTIALS } from '../../functions/common/deps.js';
import {
  authorizedNotify,
  invokeEndpointAuthorizer,
} from '../../local/iam/authorized-invocations.js';
import { LOCAL_CALLERS, type LocalCaller, roleOf } from '../../local/iam/callers.js';
import { type AccessRequest, LocalIam } from '../../local/iam/local-iam.js';
import { type CfnTemplate, loadTemplate } from '../../local/iam/template.js';
import { type ObjectStoreServer, startObjectStoreServer } from '../../local/object-store-server.js';
import { DEFAULT_POLICY, localSubstitutions } from '../../local/retrain-service.js';
import { LocalSageMaker } from '../../local/sagemaker/control-plane/local-sagemaker.js';
import { API_KEY, type ServingRuntime, startServingRuntime } from './api-fixture.js';
import { teardown } from './teardown.js';

const BUCKET = 'smogcast-lake';

interface Statement {
  Effect: string;
  Action: string | string[];
  Resource?: unknown;
}
const asArray = <T>(value: T | T[]): T[] => (Array.isArray(value) ? value : [value]);

/** The template with statement `index` of `role`'s first policy that has it removed. */
const withoutStatement = (template: CfnTemplate, role: string, statement: Statement) => {
  const copy = structuredClone(template);
  const policies = copy.Resources[role]?.Properties?.Policies as Array<{
    PolicyDocument: { Statement: Statement[] };
  }>;
  const target = JSON.stringify(statement);
  for (const policy of policies) {
    policy.PolicyDocument.Statement = policy.PolicyDocument.Statement.filter(
      (s) => JSON.stringify(s) !== target,
    );
  }
  return copy;
};

const statementsOf = (template: CfnTemplate, role: string): Statement[] =>
  (
    (template.Resources[role]?.Properties?.Policies ?? []) as Array<{
      PolicyDocument: { Statement: Statement[] };
    }>
  ).flatMap((p) => p.PolicyDocument.Statement);

describe('the local S3 with IAM enforced', () => {
  let dir = '';
  let server: ObjectStoreServer;
  const template = loadTemplate();

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'smogcast-iam-'));
  });
  afterAll(() => teardown([dir]));

  const start = async (iam: LocalIam) => {
    server = await startObjectStoreServer({
      directory: path.join(dir, `s3-${Date.now()}`),
      bucket: BUCKET,
      iam,
    });
    const twin = createLocalS3Client(server.url);
    await twin.send(
      new PutObjectCommand({
        Bucket: BUCKET,
        Key: 'curated/dt=2026-11-20/part-0.parquet',
        Body: 'x',
      }),
    );
    return server;
  };

  it('lets check-drift read curated/ Parquet as CheckDriftRole, and the twin key is not a role', async () => {
    // Prepare
    const iam = new LocalIam(template);
    await start(iam);
    const client = createLocalS3Client(server.url, 'us-east-1', iam.credentialsOf('check-drift'));
    // Act
    const out = await client.send(
      new GetObjectCommand({ Bucket: BUCKET, Key: 'curated/dt=2026-11-20/part-0.parquet' }),
    );
    const missing = await client
      .send(new GetObjectCommand({ Bucket: BUCKET, Key: 'models/serving.json' }))
      .then(
        () => undefined,
        (error: { name: string; $metadata?: { httpStatusCode?: number } }) => error,
      );
    // Assess
    expect(await out.Body?.transformToString()).toBe('x');
    // A missing object the role may read is a 404, since the role may list the bucket.
    expect(missing?.name).toBe('NoSuchKey');
    expect(missing?.$metadata?.httpStatusCode).toBe(404);
    expect(iam.credentialsOf('check-drift').accessKeyId).toBe('CheckDriftRole');
    expect(LOCAL_S3_CREDENTIALS.accessKeyId).not.toBe('CheckDriftRole');
    await server.close();
  });

  it('answers 403 AccessDenied as S3 does, naming the role and the action, once the statement is gone', async () => {
    // Prepare: CheckDriftRole without the statement that grants s3:GetObject on curated/.
    const grant = statementsOf(template, 'CheckDriftRole').find((s) =>
      JSON.stringify(s.Resource).includes('/curated/*'),
    ) as Statement;
    const iam = new LocalIam(withoutStatement(template, 'CheckDriftRole', grant));
    await start(iam);
    const credentials = iam.credentialsOf('check-drift');
    const client = createLocalS3Client(server.url, 'us-east-1', credentials);
    // Act
    const denied = await client
      .send(new GetObjectCommand({ Bucket: BUCKET, Key: 'curated/dt=2026-11-20/part-0.parquet' }))
      .then(
        () => undefined,
        (error: { name: string; message: string; $metadata?: { httpStatusCode?: number } }) =>
          error,
      );
    // Assess: the SDK parsed S3's XML error (Code → name) from a 403.
    expect(denied?.name).toBe('AccessDenied');
    expect(denied?.$metadata?.httpStatusCode).toBe(403);
    expect(denied?.message).toMatch(
      /assumed-role\/CheckDriftRole\/.* s3:GetObject on resource: "arn:aws:s3:::smogcast-lake-dev-000000000000-us-east-1\/curated\//,
    );
    await server.close();
  });
});

/** Services whose calls the twin authorises (logs, ECR, Glue's catalogue, … it does not run). */
const ENFORCED = (action: string) =>
  action.startsWith('s3:') ||
  action.startsWith('sagemaker:') ||
  action.startsWith('events:') ||
  action === 'iam:PassRole' ||
  action === 'cloudwatch:DescribeAlarms' ||
  action === 'sns:Publish';

/**
 * Statements of a local caller's role that the twin cannot exercise, with why. Each is a call
 * AWS makes that no local stand-in makes.
 */
const NOT_EXERCISED_LOCALLY: Record<string, string> = {
  // Firehose probes the bucket (location, listing, unfinished uploads) before it delivers.
  'FirehoseRole:s3:GetBucketLocation': 'the local Firehose only puts objects',
  // Glue reads its script from the deployment bucket, which the twin does not have.
  'EtlJobRole:s3:GetObject@deployment': 'the Glue twin runs glue/twin, not the uploaded script',
  // SageMaker checks the rollback alarms as the execution role (that grant is exercised); the
  // state machine, which names them in UpdateEndpoint, keeps its own grant for the same alarms.
  // A run that fails before prepare-deepar has no deepar/<run>/profile.json: record-run must
  // read it as missing (404), not be denied; this pipeline's runs all get that far.
  'RecordRunRole:s3:ListBucket': 'needed on failure paths this pipeline does not take',
  // A round scores the variants only once 6 hours arrived after the challenger's data, which
  // this pipeline's wall clock does not reach; 'InvokeEndpoint and SNS Publish' below denies it.
  'ScoreABRole:sagemaker:InvokeEndpoint': 'an A/B round here has no new hours to score',
  // A rollup deletes pages contextHours (336) after their hour; this fleet has 4 days of data.
  'UpdateContextRole:s3:DeleteObject': 'no page of a 4-day fleet is old enough to expire',
  // A served forecast is scored once its 24 hours of readings arrived, past this pipeline's
  // wall clock (test/unit/functions/accuracy/realised-accuracy.test.ts scores them).
  'UpdateContextRole:s3:PutObject@accuracy-scores': 'no served forecast is old enough to score',
  'RetrainStateMachineRole:cloudwatch:DescribeAlarms':
    'the local SageMaker authorises DescribeAlarms as the execution role only',
};

describe('every statement a local caller runs with is needed by a call the pipeline makes', () => {
  const template = loadTemplate();
  const calls: Array<AccessRequest & { allowed: boolean }> = [];
  let serving: ServingRuntime;

  beforeAll(async () => {
    // A full pipeline with IAM enforced: ingest, first deploy, the API, an update in place,
    // then an A/B test and one of its rounds.
    const iam = new LocalIam(template, undefined, (request, decision) =>
      calls.push({ ...request, allowed: decision.allowed }),
    );
    serving = await startServingRuntime({ iam });
    const { runtime } = serving;
    const routes = {
      '/forecast?deviceId=sim-001&metric=pm25': 200,
      // An unknown device: its missing context is a 404 only because the role may list.
      '/forecast?deviceId=sim-999&metric=pm25': 404,
      '/devices': 200,
      '/devices?deviceId=sim-999': 404,
      '/status': 200,
      '/accuracy?deviceId=sim-001&metric=pm25': 200,
      '/accuracy': 200,
      '/runs': 200,
      '/models': 200,
    };
    for (const [route, status] of Object.entries(routes)) {
      const res = await fetch(`${runtime.apiUrl}${route}`, { headers: { 'x-api-key': API_KEY } });
      expect(res.status, route).toBe(status);
    }
    await runtime.drain(); // the served-forecast samples are written
    // A guarded update (its rollback alarms are checked as the execution role).
    const update = await runtime.retrain({
      strategy: 'all-at-once',
      maxModelAgeHours: 1e-9,
      promotionMargin: -1,
      bakeSeconds: 0,
      terminationWaitSeconds: 0,
    });
    expect(update.outcome, `${update.cause ?? ''} ${update.reasons?.join('; ')}`).toBe('promoted');
    // A failed training job: the run publishes its failure to the alarm topic.
    const failed = await runtime.retrain({ maxModelAgeHours: 1e-9 }, { Epochs: 'many' });
    expect(failed.states.slice(-2), failed.cause).toEqual(['NotifyFailure', 'RunFailed']);
    // The engine (algorithm smogcast): trained by its Lambda, served in process by /forecast;
    // the DeepAR endpoint it replaces is deleted.
    const engine = await runtime.retrain({
      algorithm: 'smogcast',
      maxModelAgeHours: 1e-9,
      promotionMargin: -1,
    });
    expect(engine.outcome, `${engine.cause ?? ''} ${engine.reasons?.join('; ')}`).toBe('promoted');
    const inProcess = await fetch(`${runtime.apiUrl}/forecast?deviceId=sim-001&metric=pm25`, {
      headers: { 'x-api-key': API_KEY },
    });
    expect(inProcess.status).toBe(200);
    // An engine model beside that engine champion: a canary, baked with no alarm, promoted.
    const canary = await runtime.retrain({
      algorithm: 'smogcast',
      strategy: 'canary',
      maxModelAgeHours: 1e-9,
      promotionMargin: -1,
      bakeSeconds: 0,
    });
    expect(canary.outcome, `${canary.cause ?? ''} ${canary.reasons?.join('; ')}`).toBe('promoted');
    expect(canary.states).toContain('CheckCanary');
    // DeepAR again, so the A/B test below starts beside an endpoint champion.
    const back = await runtime.retrain({
      strategy: 'all-at-once',
      maxModelAgeHours: 1e-9,
      promotionMargin: -1,
      bakeSeconds: 0,
      terminationWaitSeconds: 0,
    });
    expect(back.outcome, `${back.cause ?? ''} ${back.reasons?.join('; ')}`).toBe('promoted');
    const ab = await runtime.retrain({
      strategy: 'ab',
      maxModelAgeHours: 1e-9,
      promotionMargin: -1,
    });
    expect(ab.outcome, `${ab.cause ?? ''} ${ab.reasons?.join('; ')}`).toBe('ab-testing');
    const round = await runtime.retrain({ strategy: 'ab', promotionMargin: -1 });
    expect(round.status, round.cause).toBe('SUCCEEDED');
  }, 240_000);

  afterAll(() => serving?.close());

  it('made every call allowed: nothing was denied on the way', () => {
    expect(calls.filter((c) => !c.allowed)).toEqual([]);
  });

  const callers = Object.keys(LOCAL_CALLERS) as LocalCaller[];
  const roles = [...new Set(callers.map((caller) => roleOf(template, caller)))];

  it.each(roles)('%s: removing any enforced statement denies a call it made', async (role) => {
    const unexercised: string[] = [];
    for (const statement of statementsOf(template, role)) {
      const actions = asArray(statement.Action).filter(ENFORCED);
      if (actions.length === 0) continue;
      const denied = new LocalIam(withoutStatement(template, role, statement));
      let shown = false;
      for (const call of calls.filter(
        (c) => c.accessKeyId === role && actions.includes(c.action),
      )) {
        const decision = await denied.authorize(call);
        if (!decision.allowed) {
          // The failure a deploy would see names the role and the action.
          expect(decision.message).toContain(`assumed-role/${role}/`);
          expect(decision.message).toContain(call.action);
          shown = true;
          break;
        }
      }
      const resources = JSON.stringify(statement.Resource);
      const excused = actions.some(
        (a) =>
          NOT_EXERCISED_LOCALLY[`${role}:${a}`] ||
          (resources.includes('ServerlessDeploymentBucket') &&
            NOT_EXERCISED_LOCALLY[`${role}:${a}@deployment`]) ||
          (resources.includes('/accuracy/scores/') &&
            NOT_EXERCISED_LOCALLY[`${role}:${a}@accuracy-scores`]),
      );
      if (!shown && !excused) unexercised.push(`${actions.join(',')} on ${resources}`);
    }
    expect(unexercised).toEqual([]);
  });
});

describe('InvokeEndpoint and SNS Publish with IAM enforced', () => {
  const template = loadTemplate();
  let dir = '';
  let runs = 0;

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'smogcast-iam-invoke-'));
  });
  afterAll(() => teardown([dir]));
  const invokeGrant = (role: string) =>
    statementsOf(template, role).find((s) =>
      asArray(s.Action).includes('sagemaker:InvokeEndpoint'),
    ) as Statement;

  const invokeAs = async (iam: LocalIam, caller: LocalCaller) => {
    const sagemaker = await LocalSageMaker.open({
      store: new MemoryObjectStore('lake'),
      workDir: path.join(dir, `sagemaker-${runs++}`),
    });
    const server = await sagemaker.startRuntimeServer({
      authorize: invokeEndpointAuthorizer(iam, 'smogcast-local'),
    });
    try {
      const endpoint = new SageMakerEndpoint({
        region: 'us-east-1',
        endpointName: 'smogcast-local',
        url: server.url,
        credentials: iam.credentialsOf(caller),
      });
      return await endpoint
        .invoke({ instances: [{ start: '2026-11-20 00:00:00', target: [1, 2, 3] }] })
        .then(
          () => undefined,
          (error: { name: string; message: string; $metadata?: { httpStatusCode?: number } }) =>
            error,
        );
    } finally {
      await server.close();
      await sagemaker.close();
    }
  };

  it.each([
    ['forecast', 'ForecastRole'],
    ['check-drift', 'CheckDriftRole'],
    ['score-ab', 'ScoreABRole'],
  ] as const)(
    '%s may invoke the endpoint as %s, and is denied with the role and action once its statement is gone',
    async (caller, role) => {
      // Act
      const allowed = await invokeAs(new LocalIam(template), caller);
      const denied = await invokeAs(
        new LocalIam(withoutStatement(template, role, invokeGrant(role))),
        caller,
      );

      // Assess: allowed, the call reaches the endpoint (none is deployed here).
      expect(allowed?.name).toBe('EndpointNotDeployedError');
      expect(denied?.name).toBe('AccessDeniedException');
      expect(denied?.$metadata?.httpStatusCode).toBe(403);
      expect(denied?.message).toMatch(
        new RegExp(
          `assumed-role/${role}/.* sagemaker:InvokeEndpoint on resource: "arn:aws:sagemaker:us-east-1:000000000000:endpoint/smogcast-dev"`,
        ),
      );
    },
  );

  it("denies the state machine's SNS Publish once its statement is gone, naming the role and action", async () => {
    // Prepare
    const role = roleOf(template, 'retrain-state-machine');
    const grant = statementsOf(template, role).find((s) =>
      asArray(s.Action).includes('sns:Publish'),
    ) as Statement;
    const delivered: unknown[] = [];
    const deliver = async (message: unknown) => {
      delivered.push(message);
    };
    const substitutions = localSubstitutions(
      {
        bucket: 'lake',
        endpointName: 'smogcast-local',
        predictionLength: 24,
        contextLength: 72,
        historyDays: 30,
      },
      DEFAULT_POLICY,
    );
    const message = {
      TopicArn: substitutions.NotificationTopicArn as string,
      Subject: 'smogcast: retrain failed',
      Message: 'run r1 failed',
    };

    // Act
    await authorizedNotify(deliver, new LocalIam(template), substitutions)(message);
    const denied = await authorizedNotify(
      deliver,
      new LocalIam(withoutStatement(template, role, grant)),
      substitutions,
    )(message).then(
      () => undefined,
      (error: Error) => error,
    );

    // Assess
    expect(delivered).toEqual([message]);
    expect(denied?.name).toBe('AuthorizationErrorException');
    expect(denied?.message).toMatch(
      new RegExp(
        `assumed-role/${role}/.* sns:Publish on resource: "arn:aws:sns:us-east-1:000000000000:`,
      ),
    );
  });
});
