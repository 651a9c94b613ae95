// The SageMaker control plane and endpoint hosting, on one machine. Methods take the API request
// shapes the retrain state machine sends and answer with SageMaker's response shapes; errors
// carry SageMaker's names (ValidationException, ...) so the same Retry/Catch rules apply.
// UpdateEndpoint runs blue/green deployments with SageMaker's guardrails (CANARY, LINEAR,
// ALL_AT_ONCE, auto-rollback alarms on the new fleet's own metrics; see blue-green.ts).
// State persists in workDir, so a restart keeps serving the deployed model.
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { ConfigError, SmogcastError } from '../../../core/errors.js';
import type { DeepArResponse, ObjectStore } from '../../../core/ports.js';
import { predict } from '../../../forecasting/container/model-server.js';
import { ModelLoadError, ModelRequestError } from '../../../forecasting/errors.js';
import { enforceRequest } from '../../api-models/validate.js';
import { TrainingJobFailedError, ValidationException } from '../errors.js';
import { type LocalAlarm, LocalAlarms, trippedAlarm } from './alarms.js';
import {
  ACCOUNT_ID,
  arn,
  CreateEndpointConfigRequest,
  CreateModelRequest,
  CreateTrainingJobRequest,
  DeleteEndpointRequest,
  DescribeEndpointRequest,
  type DescribeEndpointResponse,
  DescribeTrainingJobRequest,
  type EndpointEvent,
  type EndpointRecord,
  EndpointRequest,
  parseRequest,
  type TrainingJobDescription,
  UpdateEndpointRequest,
  UpdateEndpointWeightsAndCapacitiesRequest,
} from './api-shapes.js';
import { Rollout } from './blue-green.js';
import {
  type DeploymentPlan,
  planDeployment,
  requireSameVariantNames,
} from './deployment-config.js';
import { describeEndpoint } from './describe-endpoint.js';
import { InjectedModelFault, injectsError } from './fault-injection.js';
import { FleetMetrics, type InvocationOutcome, type VariantMetrics } from './fleet-metrics.js';
import { fetchModel, type HostedModel } from './model-artifacts.js';
import { pickVariant } from './routing.js';
import {
  type RuntimeServer,
  type RuntimeServerOptions,
  startRuntimeServer,
} from './runtime-server.js';
import { emptyState, readState, type SageMakerState, writeState } from './state-file.js';
import { describeNewJob, runTrainingJob } from './training-job.js';

/** Every request first meets SageMaker's published API model, as the service checks it. */
const enforceApiContract = (operation: string, request: unknown): void =>
  enforceRequest('sagemaker', operation, request, (message) => new ValidationException(message));

export interface LocalSageMakerOptions {
  /** The lake bucket: s3:// URIs naming store.bucket resolve through it. */
  store: ObjectStore;
  /** Under the data dir; state, training jobs and unpacked models live here. */
  workDir: string;
  log?: (message: string) => void;
  /** Seeds training and sample paths. */
  seed?: number;
  /** Uniform [0, 1) draws for fleet and variant routing and injected faults. */
  random?: () => number;
  now?: () => Date;
  /**
   * The CloudWatch alarms AutoRollbackConfiguration may name, defined locally. Naming one that is
   * not here fails UpdateEndpoint with ValidationException, as a missing alarm does on AWS.
   */
  alarms?: Record<string, LocalAlarm>;
  /**
   * Local milliseconds per SageMaker millisecond for baking periods and termination waits
   * (default 1/60: a SageMaker minute lasts a second).
   */
  timeScale?: number;
}

interface ServingVariant {
  name: string;
  weight: number;
  model: HostedModel;
}

interface Deployment {
  configName: string;
  variants: ServingVariant[];
}

export interface Invocation {
  body: DeepArResponse;
  /** The production variant that answered (x-Amzn-Invoked-Production-Variant). */
  variant: string;
  /** The endpoint config (fleet) that answered: blue or green during an update. */
  configName: string;
}

/** A model failure inside the container (HTTP 5xx from the model), with the fleet that failed. */
export class ModelInvocationError extends SmogcastError {
  constructor(
    readonly variant: string,
    readonly configName: string,
    options: ErrorOptions & { cause: unknown },
  ) {
    super(options.cause instanceof Error ? options.cause.message : String(options.cause), options);
    this.name = 'ModelInvocationError';
  }
}

const MAX_EVENTS = 200;

const reasonOf = (error: unknown): string =>
  error instanceof Error ? `${error.name}: ${error.message}` : String(error);

export class LocalSageMaker {
  private state: SageMakerState = emptyState();
  /** The fleet serving each endpoint (blue while an update runs). */
  private readonly serving = new Map<string, Deployment>();
  /** The green fleet of each endpoint being updated, with its traffic share. */
  private readonly rollouts = new Map<string, { green: Deployment; rollout: Rollout }>();
  private readonly models = new Map<string, Promise<HostedModel>>();
  private readonly deployments = new Set<Promise<void>>();
  private readonly servers = new Set<RuntimeServer>();
  private readonly metrics = new FleetMetrics();
  private readonly alarms: Record<string, ReturnType<typeof LocalAlarms.parse>[string]>;
  private persisting: Promise<void> = Promise.resolve();
  private closing = false;
  private readonly log: (message: string) => void;
  private readonly now: () => Date;
  private readonly random: () => number;
  private readonly timeScale: number;

  constructor(private readonly options: LocalSageMakerOptions) {
    this.log = options.log ?? (() => {});
    this.now = options.now ?? (() => new Date());
    this.random = options.random ?? Math.random;
    this.timeScale = options.timeScale ?? 1 / 60;
    if (!(this.timeScale >= 0)) throw new ConfigError('timeScale must be a number >= 0');
    const alarms = LocalAlarms.safeParse(options.alarms ?? {});
    if (!alarms.success) throw new ConfigError(`invalid alarms: ${alarms.error.message}`);
    this.alarms = alarms.data;
  }

  /** Restores state from workDir and reloads what every endpoint served. */
  static async open(options: LocalSageMakerOptions): Promise<LocalSageMaker> {
    const sagemaker = new LocalSageMaker(options);
    await sagemaker.init();
    return sagemaker;
  }

  private get statePath(): string {
    return join(this.options.workDir, 'state.json');
  }

  async init(): Promise<void> {
    this.state = await readState(this.statePath);
    for (const job of Object.values(this.state.trainingJobs)) {
      if (job.TrainingJobStatus !== 'InProgress') continue;
      job.TrainingJobStatus = 'Failed';
      job.SecondaryStatus = 'Failed';
      job.FailureReason = 'InternalServerError: the local SageMaker restarted during training';
    }
    for (const endpoint of Object.values(this.state.endpoints)) {
      if (endpoint.servingConfigName) {
        try {
          const deployment = await this.loadDeployment(endpoint.servingConfigName);
          this.applyWeights(deployment, endpoint.desiredWeights);
          this.serving.set(endpoint.EndpointName, deployment);
        } catch (error) {
          this.log(
            `endpoint ${endpoint.EndpointName}: cannot reload its model: ${reasonOf(error)}`,
          );
          endpoint.servingConfigName = undefined;
          endpoint.EndpointStatus = 'Failed';
          endpoint.FailureReason = reasonOf(error);
        }
      }
      const interrupted = endpoint.deployment?.configName ?? endpoint.pendingConfigName;
      if (endpoint.servingConfigName && interrupted) {
        // The green fleet's bake cannot be trusted across a restart (its metrics are gone):
        // keep blue, as SageMaker's rollback would, and say why.
        this.finishUpdate(
          endpoint,
          `Rolled back to ${endpoint.servingConfigName}: the local SageMaker restarted during the deployment of ${interrupted}`,
          'RolledBack',
        );
      } else if (endpoint.pendingConfigName) {
        // A creation interrupted by the restart resumes, as SageMaker's would.
        endpoint.deployment = undefined;
        this.deployFirst(endpoint, endpoint.pendingConfigName);
      }
      if (endpoint.EndpointStatus === 'Updating' && !endpoint.pendingConfigName) {
        // UpdateEndpointWeightsAndCapacities cut short: the weights were saved with the request.
        endpoint.EndpointStatus = 'InService';
      }
    }
    await this.persist();
  }

  async createTrainingJob(request: Record<string, unknown>): Promise<TrainingJobDescription> {
    enforceApiContract('CreateTrainingJob', request);
    const req = parseRequest(CreateTrainingJobRequest, request);
    const name = req.TrainingJobName;
    if (this.state.trainingJobs[name]) {
      throw new ValidationException(
        `Training job names must be unique within an AWS account and region, and a training job with this name already exists (${arn('training-job', name)})`,
      );
    }
    const jobDir = join(this.options.workDir, 'training-jobs', name);
    this.state.trainingJobs[name] = describeNewJob(req, this.now());
    await this.persist();
    this.log(`training job ${name}: started`);
    const job = await runTrainingJob(req, {
      store: this.options.store,
      jobDir,
      seed: this.options.seed ?? 0,
      log: this.log,
      now: this.now,
    });
    this.state.trainingJobs[name] = job;
    await this.persist();
    this.log(`training job ${name}: ${job.TrainingJobStatus}`);
    if (job.TrainingJobStatus === 'Failed') {
      throw new TrainingJobFailedError(name, job.FailureReason ?? 'unknown');
    }
    return job;
  }

  async describeTrainingJob(request: Record<string, unknown>): Promise<TrainingJobDescription> {
    enforceApiContract('DescribeTrainingJob', request);
    const { TrainingJobName } = parseRequest(DescribeTrainingJobRequest, request);
    const job = this.state.trainingJobs[TrainingJobName];
    if (!job) throw new ValidationException(`Requested resource not found: ${TrainingJobName}`);
    return job;
  }

  async createModel(request: Record<string, unknown>): Promise<{ ModelArn: string }> {
    enforceApiContract('CreateModel', request);
    const req = parseRequest(CreateModelRequest, request);
    const ModelArn = arn('model', req.ModelName);
    if (this.state.models[req.ModelName]) {
      throw new ValidationException(`Cannot create already existing model "${ModelArn}".`);
    }
    this.state.models[req.ModelName] = { ...req, ModelArn, CreationTime: this.now().toISOString() };
    await this.persist();
    return { ModelArn };
  }

  async createEndpointConfig(
    request: Record<string, unknown>,
  ): Promise<{ EndpointConfigArn: string }> {
    enforceApiContract('CreateEndpointConfig', request);
    const req = parseRequest(CreateEndpointConfigRequest, request);
    const EndpointConfigArn = arn('endpoint-config', req.EndpointConfigName);
    if (this.state.endpointConfigs[req.EndpointConfigName]) {
      throw new ValidationException(
        `Cannot create already existing endpoint configuration "${EndpointConfigArn}".`,
      );
    }
    for (const variant of req.ProductionVariants) {
      if (!this.state.models[variant.ModelName]) {
        throw new ValidationException(`Could not find model "${arn('model', variant.ModelName)}".`);
      }
    }
    this.state.endpointConfigs[req.EndpointConfigName] = {
      ...req,
      EndpointConfigArn,
      CreationTime: this.now().toISOString(),
    };
    await this.persist();
    return { EndpointConfigArn };
  }

  async createEndpoint(request: Record<string, unknown>): Promise<{ EndpointArn: string }> {
    enforceApiContract('CreateEndpoint', request);
    const req = parseRequest(EndpointRequest, request);
    const EndpointArn = arn('endpoint', req.EndpointName);
    if (this.state.endpoints[req.EndpointName]) {
      throw new ValidationException(`Cannot create already existing endpoint "${EndpointArn}".`);
    }
    this.requireConfig(req.EndpointConfigName);
    const time = this.now().toISOString();
    const endpoint: EndpointRecord = {
      EndpointName: req.EndpointName,
      EndpointArn,
      EndpointStatus: 'Creating',
      pendingConfigName: req.EndpointConfigName,
      CreationTime: time,
      LastModifiedTime: time,
    };
    this.state.endpoints[req.EndpointName] = endpoint;
    await this.persist();
    this.deployFirst(endpoint, req.EndpointConfigName);
    return { EndpointArn };
  }

  /**
   * UpdateEndpoint, blue/green: the new config's fleet (green) loads while the current one (blue)
   * serves; then traffic shifts as DeploymentConfig says, each step baked under the
   * auto-rollback alarms; an alarm rolls everything back to blue. As on SageMaker, a Failed
   * endpoint cannot be updated (DeleteEndpoint is the only operation it allows): the retrain
   * machine deletes it and creates it again.
   */
  async updateEndpoint(request: Record<string, unknown>): Promise<{ EndpointArn: string }> {
    enforceApiContract('UpdateEndpoint', request);
    const req = parseRequest(UpdateEndpointRequest, request);
    const endpoint = this.requireEndpoint(req.EndpointName);
    if (endpoint.EndpointStatus === 'Creating' || endpoint.EndpointStatus === 'Updating') {
      throw new ValidationException(
        `Cannot update in-progress endpoint "${endpoint.EndpointArn}".`,
      );
    }
    if (endpoint.EndpointStatus === 'Failed' || endpoint.EndpointStatus === 'Deleting') {
      throw new ValidationException(
        `Cannot update endpoint "${endpoint.EndpointArn}" in status ${endpoint.EndpointStatus}: DeleteEndpoint is the only operation that can be performed on a failed endpoint.`,
      );
    }
    this.requireConfig(req.EndpointConfigName);
    const deploymentConfig =
      req.DeploymentConfig ??
      (req.RetainDeploymentConfig ? endpoint.LastDeploymentConfig : undefined);
    if (deploymentConfig && endpoint.servingConfigName) {
      const variants = (name: string) =>
        (this.state.endpointConfigs[name]?.ProductionVariants ?? []).map((v) => v.VariantName);
      requireSameVariantNames(
        { arn: endpoint.EndpointArn, variants: variants(endpoint.servingConfigName) },
        {
          arn: arn('endpoint-config', req.EndpointConfigName),
          variants: variants(req.EndpointConfigName),
        },
      );
    }
    const plan = planDeployment(deploymentConfig, this.fleetInstances(req.EndpointConfigName));
    for (const name of plan.alarmNames) {
      if (!this.alarms[name]) {
        throw new ValidationException(
          `The alarm ${name} in AutoRollbackConfiguration does not exist (no CloudWatch alarm of that name is defined locally).`,
        );
      }
    }
    const time = this.now().toISOString();
    endpoint.pendingConfigName = req.EndpointConfigName;
    endpoint.FailureReason = undefined;
    endpoint.LastModifiedTime = time;
    if (deploymentConfig) endpoint.LastDeploymentConfig = deploymentConfig;
    if (endpoint.servingConfigName) {
      endpoint.EndpointStatus = 'Updating';
      endpoint.deployment = {
        configName: req.EndpointConfigName,
        startTime: time,
        activeInstances: 0,
        totalInstances: plan.steps[0]?.totalInstances ?? 1,
        share: 0,
        stage: { Status: 'Creating', StatusMessage: 'provisioning the new fleet', StartTime: time },
      };
      this.event(
        endpoint,
        'UpdateStarted',
        `blue/green ${plan.type} update from ${endpoint.servingConfigName} to ${req.EndpointConfigName}`,
      );
      await this.persist();
      this.deployBlueGreen(endpoint, req.EndpointConfigName, plan);
    } else {
      endpoint.EndpointStatus = 'Creating';
      await this.persist();
      this.deployFirst(endpoint, req.EndpointConfigName);
    }
    return { EndpointArn: endpoint.EndpointArn };
  }

  /** UpdateEndpointWeightsAndCapacities: new weights (A/B) for the serving config's variants. */
  async updateEndpointWeightsAndCapacities(
    request: Record<string, unknown>,
  ): Promise<{ EndpointArn: string }> {
    enforceApiContract('UpdateEndpointWeightsAndCapacities', request);
    const req = parseRequest(UpdateEndpointWeightsAndCapacitiesRequest, request);
    const endpoint = this.requireEndpoint(req.EndpointName);
    const deployment = this.serving.get(req.EndpointName);
    if (endpoint.EndpointStatus !== 'InService' || !deployment) {
      throw new ValidationException(
        `Cannot update in-progress endpoint "${endpoint.EndpointArn}" (status ${endpoint.EndpointStatus}).`,
      );
    }
    for (const desired of req.DesiredWeightsAndCapacities) {
      if (!deployment.variants.some((v) => v.name === desired.VariantName)) {
        throw new ValidationException(
          `The variant name(s) [${desired.VariantName}] is/are not present in the endpoint "${endpoint.EndpointArn}".`,
        );
      }
    }
    const weights = { ...endpoint.desiredWeights };
    const counts = { ...endpoint.desiredInstanceCounts };
    for (const d of req.DesiredWeightsAndCapacities) {
      if (d.DesiredWeight !== undefined) weights[d.VariantName] = d.DesiredWeight;
      if (d.DesiredInstanceCount !== undefined) counts[d.VariantName] = d.DesiredInstanceCount;
    }
    endpoint.EndpointStatus = 'Updating';
    endpoint.desiredWeights = weights;
    endpoint.desiredInstanceCounts = counts;
    endpoint.LastModifiedTime = this.now().toISOString();
    await this.persist();
    this.track(async () => {
      // Applied off the request path, as SageMaker does: callers poll DescribeEndpoint.
      await sleep(0);
      this.applyWeights(deployment, weights);
      endpoint.EndpointStatus = 'InService';
      endpoint.LastModifiedTime = this.now().toISOString();
      this.event(
        endpoint,
        'WeightsUpdated',
        `weights ${deployment.variants.map((v) => `${v.name}=${v.weight}`).join(', ')}`,
      );
      await this.persistQuietly();
    });
    return { EndpointArn: endpoint.EndpointArn };
  }

  /**
   * DeleteEndpoint: the endpoint reports Deleting, stops serving, and is gone a moment later
   * (callers poll DescribeEndpoint until "Could not find endpoint"). Its configs stay.
   */
  async deleteEndpoint(request: Record<string, unknown>): Promise<Record<string, never>> {
    enforceApiContract('DeleteEndpoint', request);
    const { EndpointName } = parseRequest(DeleteEndpointRequest, request);
    const endpoint = this.requireEndpoint(EndpointName);
    if (endpoint.EndpointStatus === 'Deleting') {
      throw new ValidationException(
        `Cannot delete endpoint "${endpoint.EndpointArn}": it is being deleted.`,
      );
    }
    endpoint.EndpointStatus = 'Deleting';
    endpoint.LastModifiedTime = this.now().toISOString();
    this.serving.delete(EndpointName);
    this.event(endpoint, 'Deleting', 'DeleteEndpoint');
    await this.persist();
    this.track(async () => {
      await sleep(0);
      if (this.state.endpoints[EndpointName] === endpoint)
        delete this.state.endpoints[EndpointName];
      await this.persistQuietly();
    });
    return {};
  }

  async describeEndpoint(request: Record<string, unknown>): Promise<DescribeEndpointResponse> {
    enforceApiContract('DescribeEndpoint', request);
    const { EndpointName } = parseRequest(DescribeEndpointRequest, request);
    return describeEndpoint(this.requireEndpoint(EndpointName), this.state.endpointConfigs);
  }

  /** Local only: the endpoint's deployment log, oldest first (updates, steps, alarms, rollbacks). */
  endpointEvents(endpointName: string): EndpointEvent[] {
    return [...(this.requireEndpoint(endpointName).events ?? [])];
  }

  /**
   * Local only: invocation counters per fleet and variant (the serving config, and the new one
   * while an update runs) since each fleet was deployed in this process — the CloudWatch metrics
   * an A/B scorer or a dashboard reads.
   */
  variantMetrics(endpointName: string): VariantMetrics[] {
    this.requireEndpoint(endpointName);
    const names = [
      this.serving.get(endpointName)?.configName,
      this.rollouts.get(endpointName)?.green.configName,
    ];
    return this.metrics.snapshot(names.filter((n): n is string => n !== undefined));
  }

  /**
   * InvokeEndpoint in process: picks the fleet (green gets its share of traffic during an
   * update), then the variant by weight (or `targetVariant`), predicts, and records the metrics
   * the rollback alarms watch. Model failures throw ModelInvocationError.
   */
  async invokeEndpoint(
    endpointName: string,
    body: unknown,
    targetVariant?: string,
  ): Promise<Invocation> {
    const blue = this.serving.get(endpointName);
    const update = this.rollouts.get(endpointName);
    const greenShare = update?.rollout.share ?? 0;
    const toGreen =
      update !== undefined &&
      greenShare > 0 &&
      (greenShare >= 1 || !blue || this.random() < greenShare);
    const fleet = toGreen ? update?.green : blue;
    if (!fleet) {
      throw new ValidationException(`Endpoint ${endpointName} of account ${ACCOUNT_ID} not found.`);
    }
    const variant = targetVariant
      ? fleet.variants.find((v) => v.name === targetVariant)
      : fleet.variants.length === 1
        ? fleet.variants[0]
        : pickVariant(fleet.variants, this.random());
    if (!variant) {
      throw new ValidationException(
        `Endpoint ${endpointName} has no production variant named ${targetVariant}.`,
      );
    }
    const started = performance.now();
    let outcome: InvocationOutcome = 'ok';
    try {
      const { fault, loaded } = variant.model;
      if (fault && fault.latencyMs > 0) await sleep(fault.latencyMs);
      if (injectsError(fault, this.random)) throw new InjectedModelFault();
      return { body: predict(loaded, body), variant: variant.name, configName: fleet.configName };
    } catch (error) {
      if (error instanceof ModelRequestError || error instanceof ValidationException) {
        outcome = 'clientError';
        throw error;
      }
      outcome = 'modelError';
      throw new ModelInvocationError(variant.name, fleet.configName, { cause: error });
    } finally {
      const micros = Math.round((performance.now() - started) * 1000);
      this.metrics.record(fleet.configName, variant.name, outcome, micros);
      if (toGreen) update?.rollout.checkAlarms();
    }
  }

  /** Serves InvokeEndpoint over HTTP (SageMaker Runtime's REST API) on 127.0.0.1 by default. */
  async startRuntimeServer(options: RuntimeServerOptions = {}): Promise<RuntimeServer> {
    const server = await startRuntimeServer(this, options);
    this.servers.add(server);
    return {
      url: server.url,
      close: async () => {
        this.servers.delete(server);
        await server.close();
      },
    };
  }

  /** Resolves once no endpoint deployment is in flight (including baking periods). */
  async settled(): Promise<void> {
    while (this.deployments.size > 0) await Promise.allSettled([...this.deployments]);
    await this.persisting;
  }

  /**
   * Stops: in-flight blue/green updates are interrupted where they stand (the next open rolls
   * them back), loads in flight finish, runtime servers close.
   */
  async close(): Promise<void> {
    this.closing = true;
    for (const { rollout } of this.rollouts.values()) rollout.interrupt();
    await this.settled();
    await Promise.all([...this.servers].map((server) => server.close()));
    this.servers.clear();
  }

  private requireEndpoint(name: string): EndpointRecord {
    const endpoint = this.state.endpoints[name];
    if (!endpoint) throw new ValidationException(`Could not find endpoint "${name}".`);
    return endpoint;
  }

  private requireConfig(name: string): void {
    if (!this.state.endpointConfigs[name]) {
      throw new ValidationException(
        `Could not find endpoint configuration "${arn('endpoint-config', name)}".`,
      );
    }
  }

  /** The new fleet's size: guardrail step sizes are fractions of it. */
  private fleetInstances(configName: string): number {
    const variants = this.state.endpointConfigs[configName]?.ProductionVariants ?? [];
    return variants.reduce((sum, v) => sum + (v.InitialInstanceCount ?? 1), 0) || 1;
  }

  private loadModelNamed(modelName: string): Promise<HostedModel> {
    const cached = this.models.get(modelName);
    if (cached) return cached;
    const model = this.state.models[modelName];
    if (!model) return Promise.reject(new ModelLoadError(`model ${modelName} does not exist`));
    const loading = fetchModel(
      this.options.store,
      model.PrimaryContainer.ModelDataUrl,
      join(this.options.workDir, 'models', modelName),
    );
    this.models.set(modelName, loading);
    loading.catch(() => this.models.delete(modelName));
    return loading;
  }

  private async loadDeployment(configName: string): Promise<Deployment> {
    const config = this.state.endpointConfigs[configName];
    if (!config) throw new ModelLoadError(`endpoint config ${configName} does not exist`);
    const variants = await Promise.all(
      config.ProductionVariants.map(async (v) => ({
        name: v.VariantName,
        weight: v.InitialVariantWeight,
        model: await this.loadModelNamed(v.ModelName),
      })),
    );
    return { configName, variants };
  }

  private applyWeights(deployment: Deployment, weights: Record<string, number> | undefined): void {
    for (const variant of deployment.variants) {
      const weight = weights?.[variant.name];
      if (weight !== undefined) variant.weight = weight;
    }
  }

  /** Creating (or recovering a Failed endpoint): no blue fleet, so load and serve. */
  private deployFirst(endpoint: EndpointRecord, configName: string): void {
    this.track(async () => {
      try {
        const deployment = await this.loadDeployment(configName);
        this.metrics.reset(configName);
        this.serving.set(endpoint.EndpointName, deployment);
        endpoint.servingConfigName = configName;
        endpoint.desiredWeights = undefined;
        endpoint.desiredInstanceCounts = undefined;
        endpoint.EndpointStatus = 'InService';
        endpoint.FailureReason = undefined;
        this.event(endpoint, 'Completed', `InService on ${configName}`);
      } catch (error) {
        endpoint.FailureReason = reasonOf(error);
        endpoint.EndpointStatus = endpoint.servingConfigName ? 'InService' : 'Failed';
        this.event(
          endpoint,
          'DeploymentFailed',
          `deploying ${configName} failed (${endpoint.FailureReason}); status ${endpoint.EndpointStatus}`,
        );
      }
      endpoint.pendingConfigName = undefined;
      endpoint.LastModifiedTime = this.now().toISOString();
      await this.persistQuietly();
    });
  }

  /** Loads green beside blue, then runs the traffic plan; promotes or rolls back. */
  private deployBlueGreen(
    endpoint: EndpointRecord,
    configName: string,
    plan: DeploymentPlan,
  ): void {
    const name = endpoint.EndpointName;
    this.track(async () => {
      let green: Deployment;
      try {
        green = await this.loadDeployment(configName);
      } catch (error) {
        this.finishUpdate(
          endpoint,
          `Rolled back to ${endpoint.servingConfigName}: ${reasonOf(error)}`,
          'DeploymentFailed',
        );
        await this.persistQuietly();
        return;
      }
      if (this.closing) return;
      this.metrics.reset(configName);
      const rollout = new Rollout(configName, plan, this.timeScale, {
        now: this.now,
        tripped: () =>
          trippedAlarm(plan.alarmNames, this.alarms, this.metrics.snapshot([configName])),
        onStage: async (stage, step, message) => {
          if (!endpoint.deployment) return;
          endpoint.deployment.stage = stage;
          if (step) {
            endpoint.deployment.activeInstances = step.activeInstances;
            endpoint.deployment.totalInstances = step.totalInstances;
            endpoint.deployment.share = step.share;
          }
          this.event(endpoint, stage.Status, message);
          await this.persistQuietly();
        },
      });
      this.rollouts.set(name, { green, rollout });
      const outcome = await rollout.run();
      this.rollouts.delete(name);
      if (outcome.kind === 'interrupted') return;
      if (outcome.kind === 'promoted') {
        this.serving.set(name, green);
        endpoint.servingConfigName = configName;
        endpoint.desiredWeights = undefined;
        endpoint.desiredInstanceCounts = undefined;
        this.finishUpdate(endpoint, undefined, 'Completed');
      } else {
        this.finishUpdate(
          endpoint,
          `Rolled back to ${endpoint.servingConfigName}: ${outcome.reason}`,
          'RolledBack',
        );
      }
      await this.persistQuietly();
    });
  }

  /** Ends an update: InService on whatever serves now, with the failure reason if it failed. */
  private finishUpdate(endpoint: EndpointRecord, failure: string | undefined, type: string): void {
    const target = endpoint.deployment?.configName ?? endpoint.pendingConfigName;
    endpoint.deployment = undefined;
    endpoint.pendingConfigName = undefined;
    endpoint.EndpointStatus = endpoint.servingConfigName ? 'InService' : 'Failed';
    endpoint.FailureReason = failure;
    endpoint.LastModifiedTime = this.now().toISOString();
    this.event(endpoint, type, failure ?? `InService on ${target}; old fleet terminated`);
  }

  private event(endpoint: EndpointRecord, type: string, message: string): void {
    const events = endpoint.events ?? [];
    events.push({ Time: this.now().toISOString(), Type: type, Message: message });
    endpoint.events = events.slice(-MAX_EVENTS);
    this.log(`endpoint ${endpoint.EndpointName}: ${type}: ${message}`);
  }

  private track(work: () => Promise<void>): void {
    const task = work().catch((error: unknown) =>
      this.log(`endpoint deployment failed unexpectedly: ${reasonOf(error)}`),
    );
    this.deployments.add(task);
    void task.finally(() => this.deployments.delete(task));
  }

  private persistQuietly(): Promise<void> {
    return this.persist().catch((error: unknown) =>
      this.log(`state not saved: ${reasonOf(error)}`),
    );
  }

  private persist(): Promise<void> {
    const write = this.persisting.then(() => writeState(this.statePath, this.state));
    this.persisting = write.catch(() => {});
    return write;
  }
}
