// `serverless package` with no AWS credentials and no network: the CloudFormation template it
// writes must hold the whole pipeline, wired as the README's "Architecture" section shows, with
// least-privilege IAM.
import { execFile, spawnSync } from 'node:child_process';
import { mkdir, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { GetObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { checkTemplate } from '../../deploy/template-rules.js';
import { createLocalS3Client, LOCAL_S3_CREDENTIALS } from '../../functions/common/deps.js';
import { LOCAL_CALLERS, type LocalCaller, roleOf } from '../../local/iam/callers.js';
import { loadTemplate, roleIds, rolePolicies } from '../../local/iam/template.js';
import { type ObjectStoreServer, startObjectStoreServer } from '../../local/object-store-server.js';
import { dollarBrace } from '../fixtures/dollar-brace.js';
import { teardown } from './teardown.js';

const run = promisify(execFile);
const REPO_ROOT = path.resolve(import.meta.dirname, '..', '..');
const PACKAGE_TIMEOUT_MS = 240_000;
/** cfn-lint (Python) checks the template against CloudFormation's schemas where it is installed. */
const HAS_CFN_LINT = spawnSync('cfn-lint', ['--version']).status === 0;
// W3005 (a DependsOn that a GetAtt already implies) is osls' own output; W1020 flags the !Sub
// that exists only to spell IoT's ${...} substitution templates past the serverless resolver.
const CFN_LINT_IGNORED = ['W3005', 'W1020'];

interface CfnResource {
  Type: string;
  Properties?: Record<string, unknown>;
  DeletionPolicy?: string;
}
interface CfnTemplate {
  Resources: Record<string, CfnResource>;
}
interface IamStatement {
  Effect: string;
  Action: string | string[];
  Resource?: unknown;
}

/**
 * The environment of this process minus anything that could reach an AWS account; `tempDir`
 * takes the framework's build folders (one per function), which it does not remove itself.
 */
const credentialFreeEnv = (tempDir: string): NodeJS.ProcessEnv => {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (!key.startsWith('AWS_') || key === 'AWS_CA_BUNDLE') env[key] = value;
  }
  // A profile that cannot exist, in case a shared credentials file is around.
  env.AWS_PROFILE = 'smogcast-package-test-no-such-profile';
  env.AWS_SHARED_CREDENTIALS_FILE = path.join(tmpdir(), 'smogcast-no-credentials');
  env.AWS_CONFIG_FILE = path.join(tmpdir(), 'smogcast-no-config');
  env.AWS_EC2_METADATA_DISABLED = 'true';
  env.SLS_TELEMETRY_DISABLED = '1';
  env.TMPDIR = tempDir;
  return env;
};

const ofType = (template: CfnTemplate, type: string): CfnResource[] =>
  Object.values(template.Resources).filter((resource) => resource.Type === type);

const onlyOfType = (template: CfnTemplate, type: string): CfnResource => {
  const found = ofType(template, type);
  expect(found, type).toHaveLength(1);
  return found[0] as CfnResource;
};

const asArray = <T>(value: T | T[]): T[] => (Array.isArray(value) ? value : [value]);

/** Every statement of every inline policy and managed policy in the template. */
const iamStatements = (
  template: CfnTemplate,
): Array<{ owner: string; statement: IamStatement }> => {
  const out: Array<{ owner: string; statement: IamStatement }> = [];
  for (const [id, resource] of Object.entries(template.Resources)) {
    const documents: unknown[] = [];
    if (resource.Type === 'AWS::IAM::Role') {
      const policies = (resource.Properties?.Policies ?? []) as Array<{ PolicyDocument: unknown }>;
      documents.push(...policies.map((p) => p.PolicyDocument));
    }
    if (resource.Type === 'AWS::IAM::Policy' || resource.Type === 'AWS::IAM::ManagedPolicy') {
      documents.push(resource.Properties?.PolicyDocument);
    }
    for (const document of documents) {
      const statements = (document as { Statement: IamStatement | IamStatement[] }).Statement;
      for (const statement of asArray(statements)) out.push({ owner: id, statement });
    }
  }
  return out;
};

describe('serverless package (offline, no credentials)', () => {
  let outDir = '';
  let buildDir = '';
  let templatePath = '';
  let template: CfnTemplate;

  beforeAll(async () => {
    // Prepare: a private output folder, so a parallel `npm run package` cannot interfere.
    outDir = await mkdtemp(path.join(tmpdir(), 'smogcast-package-'));
    buildDir = await mkdtemp(path.join(tmpdir(), 'smogcast-package-build-'));

    // Act
    await run('npx', ['serverless', 'package', '--stage', 'dev', '--package', outDir], {
      cwd: REPO_ROOT,
      env: credentialFreeEnv(buildDir),
      timeout: PACKAGE_TIMEOUT_MS,
      maxBuffer: 16 * 1024 * 1024,
    });
    templatePath = path.join(outDir, 'cloudformation-template-update-stack.json');
    const text = await readFile(templatePath, 'utf8');
    template = JSON.parse(text) as CfnTemplate;
  }, PACKAGE_TIMEOUT_MS + 10_000);

  afterAll(() => teardown([outDir, buildDir]));

  it('holds the roles the local twin enforces: serverless.yml read as the framework resolves it', () => {
    // The twin reads serverless.yml itself (npm start stays offline and instant); this is the
    // packaged template it stands for, role by role and caller by caller.
    const local = loadTemplate('dev');
    const packaged = template as Parameters<typeof roleIds>[0];
    expect(roleIds(local).sort()).toEqual(roleIds(packaged).sort());
    for (const role of roleIds(packaged)) {
      expect(rolePolicies(local, role), role).toEqual(rolePolicies(packaged, role));
    }
    for (const caller of Object.keys(LOCAL_CALLERS) as LocalCaller[]) {
      expect(roleOf(local, caller), caller).toBe(roleOf(packaged, caller));
    }
  });

  it('runs every Lambda function on nodejs22.x, arm64, with the AWS runtime settings', () => {
    const functions = ofType(template, 'AWS::Lambda::Function');
    const names = functions.map((f) => f.Properties?.FunctionName).sort();
    expect(names).toEqual([
      'smogcast-dev-accuracy',
      'smogcast-dev-check-canary',
      'smogcast-dev-check-drift',
      'smogcast-dev-devices',
      'smogcast-dev-evaluate',
      'smogcast-dev-forecast',
      'smogcast-dev-models',
      'smogcast-dev-prepare-deepar',
      'smogcast-dev-record-run',
      'smogcast-dev-runs',
      'smogcast-dev-score-ab',
      'smogcast-dev-status',
      'smogcast-dev-train-engine',
      'smogcast-dev-update-context',
    ]);
    for (const fn of functions) {
      expect(fn.Properties?.Runtime).toBe('nodejs22.x');
      expect(fn.Properties?.Architectures).toEqual(['arm64']);
      const environment = fn.Properties?.Environment as
        | { Variables: Record<string, unknown> }
        | undefined;
      const variables = environment?.Variables ?? {};
      expect(variables.SMOGCAST_RUNTIME).toBe('aws');
      expect(Object.keys(variables)).toEqual(
        expect.arrayContaining([
          'LAKE_BUCKET',
          'ENDPOINT_NAME',
          'PREDICTION_LENGTH',
          'CONTEXT_HOURS',
        ]),
      );
    }
  });

  it('keeps the lake encrypted, private and TLS-only, with lifecycle rules and a raw/ trigger', () => {
    const buckets = ofType(template, 'AWS::S3::Bucket').filter((b) =>
      JSON.stringify(b.Properties?.BucketName ?? '').includes('smogcast-lake-'),
    );
    expect(buckets).toHaveLength(1);
    const lake = buckets[0]?.Properties ?? {};
    expect(JSON.stringify(lake.BucketEncryption)).toMatch(/AES256|aws:kms/);
    expect(lake.PublicAccessBlockConfiguration).toEqual({
      BlockPublicAcls: true,
      BlockPublicPolicy: true,
      IgnorePublicAcls: true,
      RestrictPublicBuckets: true,
    });
    const rules = (lake.LifecycleConfiguration as { Rules: Array<{ Prefix?: string }> }).Rules;
    expect(rules.map((r) => r.Prefix)).toEqual(
      expect.arrayContaining(['errors/', 'quarantine/', 'raw/']),
    );
    expect(JSON.stringify(lake.NotificationConfiguration)).toContain('"Value":"raw/"');

    const policies = ofType(template, 'AWS::S3::BucketPolicy').map((p) =>
      JSON.stringify(p.Properties),
    );
    expect(
      policies.some((p) => p.includes('"aws:SecureTransport":"false"') && p.includes('"Deny"')),
    ).toBe(true);
  });

  it('lets a device connect and publish only as its own thing, and routes telemetry to Firehose', () => {
    const policy = JSON.stringify(onlyOfType(template, 'AWS::IoT::Policy').Properties);
    const thingName = dollarBrace('!iot:Connection.Thing.ThingName');
    expect(policy).toContain(`client/${thingName}"`);
    expect(policy).toContain(`topic/smogcast/${thingName}/telemetry"`);
    // Basic Ingest: straight to the telemetry rule, still only on the thing's own topic.
    expect(policy).toContain(
      `topic/$aws/rules/smogcast_telemetry_dev/smogcast/${thingName}/telemetry"`,
    );
    const { PolicyDocument } = onlyOfType(template, 'AWS::IoT::Policy').Properties as {
      PolicyDocument: { Statement: Array<{ Action: string; Resource: unknown }> };
    };
    const publish = PolicyDocument.Statement.filter((s) => s.Action === 'iot:Publish');
    for (const resource of publish.flatMap((s) => [s.Resource].flat())) {
      expect(JSON.stringify(resource)).toContain(`/smogcast/${thingName}/telemetry`);
    }

    type RulePayload = {
      AwsIotSqlVersion: string;
      Sql: string;
      Actions: Array<{ Firehose?: { Separator: string } }>;
      ErrorAction?: { S3?: { Key: unknown } };
    };
    // One rule: a Basic Ingest publish invokes only the rule it names, so a second rule for
    // rejects would never see it, and a WHERE would drop a bad reading without a trace.
    const rules = ofType(template, 'AWS::IoT::TopicRule').map(
      (r) => r.Properties?.TopicRulePayload as RulePayload,
    );
    expect(rules).toHaveLength(1);
    const rule = rules[0] as RulePayload;
    expect(rule.AwsIotSqlVersion).toBe('2016-03-23');
    expect(rule.Sql).toBe(
      "SELECT *, timestamp() AS receivedAt, topic() AS topic FROM 'smogcast/+/telemetry'",
    );
    expect(rule.Actions[0]?.Firehose?.Separator).toBe('\n');
    expect(JSON.stringify(rule.ErrorAction?.S3?.Key)).toContain('errors/iot/');
    // What the rule cannot evaluate (not a JSON object) is counted by IoT, and alarmed on.
    const parseErrors = ofType(template, 'AWS::CloudWatch::Alarm').find(
      (a) => a.Properties?.MetricName === 'ParseError',
    );
    expect(parseErrors?.Properties).toMatchObject({
      Namespace: 'AWS/IoT',
      Dimensions: [{ Name: 'RuleName', Value: 'smogcast_telemetry_dev' }],
    });
  });

  it('delivers Firehose records under raw/ and failures under errors/', () => {
    const stream = onlyOfType(template, 'AWS::KinesisFirehose::DeliveryStream').Properties ?? {};
    const destination = stream.ExtendedS3DestinationConfiguration as Record<string, unknown>;
    expect(stream.DeliveryStreamType).toBe('DirectPut');
    expect(destination.Prefix).toBe('raw/');
    expect(destination.ErrorOutputPrefix).toBe('errors/firehose/!{firehose:error-output-type}/');
    expect(destination.CompressionFormat).toBe('GZIP');
    expect(destination.BufferingHints).toEqual({ IntervalInSeconds: 60, SizeInMBs: 1 });
  });

  it('defines the Glue database, the curated/ crawler and a bookmarked ETL job', () => {
    onlyOfType(template, 'AWS::Glue::Database');
    const crawler = JSON.stringify(onlyOfType(template, 'AWS::Glue::Crawler').Properties);
    expect(crawler).toContain('/curated/');
    const job = onlyOfType(template, 'AWS::Glue::Job').Properties ?? {};
    expect((job.Command as { Name: string }).Name).toBe('glueetl');
    expect(['4.0', '5.0']).toContain(job.GlueVersion);
    expect(JSON.stringify((job.Command as { ScriptLocation: unknown }).ScriptLocation)).toContain(
      'glue/etl_job.py',
    );
    const args = job.DefaultArguments as Record<string, unknown>;
    expect(args['--job-bookmark-option']).toBe('job-bookmark-enable');
    expect(args['--lake_bucket']).toBeDefined();
  });

  it('deploys the retrain definition file itself, every placeholder filled by a substitution', async () => {
    const machine = onlyOfType(template, 'AWS::StepFunctions::StateMachine').Properties ?? {};
    const source = await readFile(
      path.join(REPO_ROOT, 'state-machines', 'retrain.asl.json'),
      'utf8',
    );
    // Byte for byte: a parsed-and-reserialised copy could lose `"ResultPath": null`.
    expect(machine.DefinitionString).toBe(source);

    const definition = String(machine.DefinitionString);
    for (const resource of [
      'arn:aws:states:::glue:startJobRun.sync',
      'arn:aws:states:::lambda:invoke',
      'arn:aws:states:::sagemaker:createTrainingJob.sync',
      'arn:aws:states:::sagemaker:createModel',
      'arn:aws:states:::sagemaker:createEndpointConfig',
      'arn:aws:states:::sagemaker:createEndpoint',
      'arn:aws:states:::sagemaker:updateEndpoint',
    ]) {
      expect(definition).toContain(`"${resource}"`);
    }
    const placeholders = new Set(
      [...definition.matchAll(/\$\{([A-Za-z0-9]+)\}/g)].map((m) => m[1]),
    );
    const substitutions = machine.DefinitionSubstitutions as Record<string, unknown>;
    expect([...placeholders].filter((name) => !(name && name in substitutions))).toEqual([]);
    for (const value of Object.values(substitutions)) expect(value).toBeTruthy();
    expect(JSON.stringify(substitutions.DeepArImage)).toContain('forecasting-deepar:1');
  });

  it('starts the state machine on a schedule with an empty input', () => {
    const schedule = onlyOfType(template, 'AWS::Events::Rule').Properties ?? {};
    expect(schedule.ScheduleExpression).toMatch(/^(rate|cron)\(/);
    const targets = schedule.Targets as Array<{ Arn: unknown; Input: string; RoleArn: unknown }>;
    expect(targets[0]?.Arn).toEqual({ Ref: 'RetrainStateMachine' });
    expect(targets[0]?.Input).toBe('{}');
    expect(targets[0]?.RoleArn).toBeDefined();
  });

  it('guards deployments: rollback alarms on the primary variant, a canary fleet of two, notifications', () => {
    const machine = ofType(template, 'AWS::StepFunctions::StateMachine')[0];
    const substitutions = machine?.Properties?.DefinitionSubstitutions as Record<string, unknown>;
    expect(substitutions.DeploymentStrategy).toBe('canary');
    expect(Number(substitutions.EndpointInstanceCount)).toBeGreaterThanOrEqual(2);
    expect(substitutions.NotificationTopicArn).toEqual({ Ref: 'AlarmTopic' });
    const alarms = ofType(template, 'AWS::CloudWatch::Alarm').map((a) => a.Properties ?? {});
    for (const metric of ['Invocation5XXErrors', 'ModelLatency']) {
      const alarm = alarms.find((a) => a.MetricName === metric);
      expect(alarm?.Namespace).toBe('AWS/SageMaker');
      expect(alarm?.Dimensions).toContainEqual({ Name: 'VariantName', Value: 'primary' });
    }
    expect(substitutions.Variant5xxAlarmName).toEqual({ Ref: 'PrimaryVariantErrorsAlarm' });
    expect(substitutions.VariantLatencyAlarmName).toEqual({ Ref: 'PrimaryVariantLatencyAlarm' });
  });

  it("guards an engine canary: an alarm on the canary's forecast errors, the pointer alone writable", () => {
    const machine = ofType(template, 'AWS::StepFunctions::StateMachine')[0];
    const substitutions = machine?.Properties?.DefinitionSubstitutions as Record<string, unknown>;
    expect(substitutions.CanaryErrorsAlarmName).toEqual({ Ref: 'CanaryForecastErrorsAlarm' });
    const alarm = template.Resources.CanaryForecastErrorsAlarm?.Properties ?? {};
    expect(alarm).toMatchObject({ Namespace: 'smogcast/forecast', MetricName: 'ForecastErrors' });
    expect(alarm.Dimensions).toContainEqual({ Name: 'Role', Value: 'canary' });
    const role = template.Resources.RetrainStateMachineRole?.Properties as {
      Policies: Array<{ PolicyDocument: { Statement: Array<Record<string, unknown>> } }>;
    };
    const statements = role.Policies.flatMap((p) => p.PolicyDocument.Statement);
    const s3 = statements.filter((st) => String(st.Action).startsWith('s3:'));
    // CopyObject reads its source and writes its target: the pointer and the runs' backups only.
    expect(s3.map((st) => st.Action).sort()).toEqual(['s3:GetObject', 's3:PutObject']);
    for (const st of s3) {
      const keys = JSON.stringify(st.Resource).match(/\/models\/[^"]+/g);
      expect(keys?.sort()).toEqual(['/models/serving.backup/*', '/models/serving.json']);
    }
    // A canary left by a run that ended mid-bake: the next run asks about that run, one of this
    // machine's executions.
    const describe = statements.filter((st) => st.Action === 'states:DescribeExecution');
    expect(describe).toHaveLength(1);
    expect(JSON.stringify(describe[0]?.Resource)).toMatch(/:execution:smogcast-retrain-[a-z]+:\*/);
  });

  it('serves GET /forecast, /devices, /status, /accuracy, /runs and /models behind an API key with a throttled usage plan', () => {
    const gets = ofType(template, 'AWS::ApiGateway::Method').filter(
      (m) => m.Properties?.HttpMethod === 'GET',
    );
    expect(gets).toHaveLength(6);
    for (const get of gets) expect(get.Properties?.ApiKeyRequired).toBe(true);
    const paths = ofType(template, 'AWS::ApiGateway::Resource').map((r) => r.Properties?.PathPart);
    expect(paths.sort()).toEqual(['accuracy', 'devices', 'forecast', 'models', 'runs', 'status']);
    onlyOfType(template, 'AWS::ApiGateway::ApiKey');
    const plan = onlyOfType(template, 'AWS::ApiGateway::UsagePlan').Properties ?? {};
    expect(plan.Throttle).toEqual({ BurstLimit: 20, RateLimit: 10 });
    expect(plan.Quota).toEqual({ Limit: 10000, Period: 'DAY' });
  });

  it('gives SageMaker its own execution role, passable only to SageMaker', () => {
    const passRole = iamStatements(template).find(({ statement }) =>
      asArray(statement.Action).includes('iam:PassRole'),
    );
    expect(passRole?.statement.Resource).toEqual({
      'Fn::GetAtt': ['SageMakerExecutionRole', 'Arn'],
    });
    expect(JSON.stringify(passRole?.statement)).toContain(
      '"iam:PassedToService":"sagemaker.amazonaws.com"',
    );
  });

  it('meets the CloudFormation resource specification and the cross-field rules AWS enforces', async () => {
    // Act: types, required and unknown properties (nested too), crawler recrawl vs schema change
    // policy, canary size vs instance count, alarms for every variant name.
    const findings = await checkTemplate(template as never);

    // Assess
    expect(findings.map((f) => `${f.rule} ${f.resource}: ${f.message}`)).toEqual([]);
  });

  it('creates on a fresh account: no reserved concurrency, no access logs unless a stage asks', () => {
    const reserved = Object.entries(template.Resources).filter(
      ([, r]) => r.Properties && 'ReservedConcurrentExecutions' in r.Properties,
    );
    expect(reserved.map(([id]) => id)).toEqual([]);
    // Access logs need the account's API Gateway CloudWatch role, which a fresh account lacks.
    const logged = Object.values(template.Resources).filter((r) =>
      JSON.stringify(r.Properties ?? {}).includes('AccessLogSetting'),
    );
    expect(logged).toEqual([]);
  });

  it('encrypts the Firehose stream, and the alarm topic with a key CloudWatch may use', () => {
    const stream = onlyOfType(template, 'AWS::KinesisFirehose::DeliveryStream').Properties ?? {};
    expect(stream.DeliveryStreamEncryptionConfigurationInput).toEqual({ KeyType: 'AWS_OWNED_CMK' });

    const topic = onlyOfType(template, 'AWS::SNS::Topic').Properties ?? {};
    const keyRef = topic.KmsMasterKeyId as { Ref: string };
    // alias/aws/sns would encrypt too, but its key policy does not admit CloudWatch: every
    // alarm notification would be dropped.
    expect(keyRef).toEqual({ Ref: expect.any(String) });
    const key = template.Resources[keyRef.Ref];
    expect(key?.Type).toBe('AWS::KMS::Key');
    const keyPolicy = JSON.stringify(key?.Properties?.KeyPolicy);
    expect(keyPolicy).toContain('"Service":"cloudwatch.amazonaws.com"');
    expect(keyPolicy).toContain('"aws:SourceAccount"');
  });

  it('lets each AWS service assume its role only on behalf of this account', () => {
    type Trust = {
      Statement: Array<{ Principal: { Service?: string }; Condition?: Record<string, unknown> }>;
    };
    const unguarded = Object.entries(template.Resources)
      .filter(([, r]) => r.Type === 'AWS::IAM::Role')
      .flatMap(([id, r]) =>
        ((r.Properties?.AssumeRolePolicyDocument as Trust | undefined)?.Statement ?? []).map(
          (statement) => ({
            id,
            statement,
          }),
        ),
      )
      // Lambda execution roles: Lambda itself is the only caller (no cross-service deputy).
      .filter(({ statement }) => statement.Principal.Service !== 'lambda.amazonaws.com')
      .filter(({ statement }) => {
        const equals = JSON.stringify(statement.Condition?.StringEquals ?? {});
        // Firehose documents sts:ExternalId = the account id for the same purpose.
        return !/"(aws:SourceAccount|sts:ExternalId)":\{"Ref":"AWS::AccountId"\}/.test(equals);
      })
      .map(({ id, statement }) => `${id} (${statement.Principal.Service})`);
    expect(unguarded).toEqual([]);
  });

  it('answers CORS with the same origin at the gateway and in the Lambdas', () => {
    const origins = new Set<string>();
    for (const fn of ofType(template, 'AWS::Lambda::Function')) {
      const environment = fn.Properties?.Environment as
        | { Variables: Record<string, string> }
        | undefined;
      const variables = environment?.Variables ?? {};
      origins.add(`'${variables.CORS_ALLOW_ORIGINS}'`);
    }
    for (const method of ofType(template, 'AWS::ApiGateway::Method')) {
      if (method.Properties?.HttpMethod !== 'OPTIONS') continue;
      const integration = method.Properties.Integration as {
        IntegrationResponses: Array<{ ResponseParameters: Record<string, string> }>;
      };
      for (const response of integration.IntegrationResponses) {
        origins.add(
          String(response.ResponseParameters['method.response.header.Access-Control-Allow-Origin']),
        );
      }
    }
    for (const response of ofType(template, 'AWS::ApiGateway::GatewayResponse')) {
      const parameters = response.Properties?.ResponseParameters as Record<string, string>;
      origins.add(String(parameters['gatewayresponse.header.Access-Control-Allow-Origin']));
    }
    expect([...origins]).toHaveLength(1);
    expect([...origins][0]).not.toBe("''");
  });

  it.skipIf(!HAS_CFN_LINT)('passes cfn-lint in the regions the DeepAR mapping covers', async () => {
    const lint = await run(
      'cfn-lint',
      [
        '--format',
        'json',
        '--regions',
        'us-east-1',
        'eu-west-1',
        'ap-southeast-2',
        '--ignore-checks',
        ...CFN_LINT_IGNORED,
        '--',
        templatePath,
      ],
      { timeout: PACKAGE_TIMEOUT_MS, maxBuffer: 16 * 1024 * 1024 },
    ).catch((error: { stdout?: string }) => ({ stdout: error.stdout ?? 'cfn-lint failed' }));
    const findings = JSON.parse(lint.stdout) as Array<{ Rule: { Id: string }; Message: string }>;
    expect(findings.map((f) => `${f.Rule.Id} ${f.Message}`)).toEqual([]);
  });

  it('grants no wildcard action and no wildcard resource with a broad action', () => {
    const statements = iamStatements(template).filter(
      ({ statement }) => statement.Effect === 'Allow',
    );
    expect(statements.length).toBeGreaterThan(10);
    const wildcardActions = statements.filter(({ statement }) =>
      asArray(statement.Action).some((action) => action.includes('*')),
    );
    const broadOnEverything = statements.filter(
      ({ statement }) =>
        asArray(statement.Resource as unknown).includes('*') &&
        asArray(statement.Action).some((action) => action === '*' || action.endsWith(':*')),
    );
    expect(wildcardActions.map((s) => s.owner)).toEqual([]);
    expect(broadOnEverything.map((s) => s.owner)).toEqual([]);
  });
});

type UploadHook = () => Promise<void>;
type UploadGlueScriptPlugin = new (
  serverless: unknown,
  options: unknown,
  utils: unknown,
) => { hooks: Record<string, UploadHook> };

const UPLOAD_HOOK = 'after:aws:deploy:deploy:uploadArtifacts';

describe('deploy/upload-glue-script.cjs', () => {
  const Plugin = createRequire(import.meta.url)(
    '../../deploy/upload-glue-script.cjs',
  ) as UploadGlueScriptPlugin;
  const bucket = 'smogcast-deployment-test';
  const key = 'serverless/smogcast/dev/glue/etl_job.py';
  let serviceDir = '';
  let s3: ObjectStoreServer;

  /** A serverless instance reduced to what the plugin reads, its provider aimed at the local S3. */
  const fakeServerless = () => ({
    serviceDir,
    service: { custom: { glueScript: { source: 'glue/etl_job.py', key } } },
    getProvider: () => ({
      getServerlessDeploymentBucketName: async () => bucket,
      getAwsSdkV3Config: async () => ({
        region: 'us-east-1',
        endpoint: s3.url,
        forcePathStyle: true,
        credentials: LOCAL_S3_CREDENTIALS,
        requestChecksumCalculation: 'WHEN_REQUIRED',
        responseChecksumValidation: 'WHEN_REQUIRED',
      }),
    }),
  });
  const quietLog = { log: { notice: () => {}, warning: () => {} } };

  beforeEach(async () => {
    serviceDir = await mkdtemp(path.join(tmpdir(), 'smogcast-glue-upload-'));
    s3 = await startObjectStoreServer({ directory: path.join(serviceDir, 's3'), bucket });
  });

  afterEach(() => teardown([serviceDir], () => s3?.close()));

  it('hooks a lifecycle event that osls really runs during deploy', async () => {
    const osls = await readFile(
      path.join(REPO_ROOT, 'node_modules', 'osls', 'lib', 'plugins', 'aws', 'deploy', 'index.js'),
      'utf8',
    );
    expect(osls).toContain(`'${UPLOAD_HOOK.replace('after:', '')}'`);
    expect(Object.keys(new Plugin(fakeServerless(), {}, quietLog).hooks)).toContain(UPLOAD_HOOK);
  });

  it('uploads the Glue script to the key the Glue job reads', async () => {
    // Prepare
    const script = '# glue job\nprint("hello")\n';
    await mkdir(path.join(serviceDir, 'glue'), { recursive: true });
    await writeFile(path.join(serviceDir, 'glue', 'etl_job.py'), script);
    const plugin = new Plugin(fakeServerless(), {}, quietLog);

    // Act
    await plugin.hooks[UPLOAD_HOOK]?.();

    // Assess
    const client = createLocalS3Client(s3.url);
    const out = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    expect(await out.Body?.transformToString()).toBe(script);
  });

  it('fails the deploy when the script is missing', async () => {
    // Prepare
    const plugin = new Plugin(fakeServerless(), {}, quietLog);

    // Act
    const act = plugin.hooks[UPLOAD_HOOK]?.();

    // Assess
    await expect(act).rejects.toMatchObject({ name: 'GlueScriptMissingError' });
  });
});
