// The SageMaker control plane and endpoint hosting, on one machine. Methods take the API request
// shapes the retrain state machine sends and answer with SageMaker's response shapes; errors
// carry SageMaker's names (ValidationException, ...) so the same Retry/Catch rules apply.
// State persists in workDir, so a restart keeps serving the deployed model.
import { join } from 'node:path';
import type { DeepArResponse, ObjectStore } from '../../../functions/common/ports.js';
import { ModelLoadError, TrainingJobFailedError, ValidationException } from '../errors.js';
import { type LoadedModel, predict } from '../model-server.js';
import {
  ACCOUNT_ID,
  arn,
  CreateEndpointConfigRequest,
  CreateModelRequest,
  CreateTrainingJobRequest,
  DescribeEndpointRequest,
  type DescribeEndpointResponse,
  DescribeTrainingJobRequest,
  type EndpointRecord,
  EndpointRequest,
  parseRequest,
  type TrainingJobDescription,
} from './api-shapes.js';
import { fetchModel } from './model-artifacts.js';
import { pickVariant } from './routing.js';
import { type RuntimeServer, startRuntimeServer } from './runtime-server.js';
import { emptyState, readState, type SageMakerState, writeState } from './state-file.js';
import { describeNewJob, runTrainingJob } from './training-job.js';

export interface LocalSageMakerOptions {
  /** The lake bucket: s3:// URIs naming store.bucket resolve through it. */
  store: ObjectStore;
  /** Under the data dir; state, training jobs and unpacked models live here. */
  workDir: string;
  log?: (message: string) => void;
  /** Seeds training and sample paths. */
  seed?: number;
  /** Uniform [0, 1) draws for weighted variant routing. */
  random?: () => number;
  now?: () => Date;
}

interface ServingVariant {
  name: string;
  weight: number;
  model: LoadedModel;
}

interface Deployment {
  configName: string;
  variants: ServingVariant[];
}

export interface Invocation {
  body: DeepArResponse;
  variant: string;
}

const reasonOf = (error: unknown): string =>
  error instanceof Error ? `${error.name}: ${error.message}` : String(error);

export class LocalSageMaker {
  private state: SageMakerState = emptyState();
  private readonly serving = new Map<string, Deployment>();
  private readonly models = new Map<string, Promise<LoadedModel>>();
  private readonly deployments = new Set<Promise<void>>();
  private readonly servers = new Set<RuntimeServer>();
  private persisting: Promise<void> = Promise.resolve();
  private readonly log: (message: string) => void;
  private readonly now: () => Date;

  constructor(private readonly options: LocalSageMakerOptions) {
    this.log = options.log ?? (() => {});
    this.now = options.now ?? (() => new Date());
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
          this.serving.set(
            endpoint.EndpointName,
            await this.loadDeployment(endpoint.servingConfigName),
          );
        } catch (error) {
          this.log(
            `endpoint ${endpoint.EndpointName}: cannot reload its model: ${reasonOf(error)}`,
          );
          endpoint.servingConfigName = undefined;
          endpoint.EndpointStatus = 'Failed';
          endpoint.FailureReason = reasonOf(error);
        }
      }
      // A deployment interrupted by the restart resumes, as SageMaker's would.
      if (endpoint.pendingConfigName) this.deploy(endpoint, endpoint.pendingConfigName);
    }
    await this.persist();
  }

  async createTrainingJob(request: Record<string, unknown>): Promise<TrainingJobDescription> {
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
    const { TrainingJobName } = parseRequest(DescribeTrainingJobRequest, request);
    const job = this.state.trainingJobs[TrainingJobName];
    if (!job) throw new ValidationException(`Requested resource not found: ${TrainingJobName}`);
    return job;
  }

  async createModel(request: Record<string, unknown>): Promise<{ ModelArn: string }> {
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
    this.deploy(endpoint, req.EndpointConfigName);
    return { EndpointArn };
  }

  /**
   * Blue/green: the current config keeps serving until the new one is loaded. Unlike SageMaker,
   * a Failed endpoint may be updated, so the unattended local pipeline can recover by itself.
   */
  async updateEndpoint(request: Record<string, unknown>): Promise<{ EndpointArn: string }> {
    const req = parseRequest(EndpointRequest, request);
    const endpoint = this.requireEndpoint(req.EndpointName);
    if (endpoint.EndpointStatus === 'Creating' || endpoint.EndpointStatus === 'Updating') {
      throw new ValidationException(
        `Cannot update in-progress endpoint "${endpoint.EndpointArn}".`,
      );
    }
    this.requireConfig(req.EndpointConfigName);
    endpoint.EndpointStatus = endpoint.servingConfigName ? 'Updating' : 'Creating';
    endpoint.pendingConfigName = req.EndpointConfigName;
    endpoint.FailureReason = undefined;
    endpoint.LastModifiedTime = this.now().toISOString();
    await this.persist();
    this.deploy(endpoint, req.EndpointConfigName);
    return { EndpointArn: endpoint.EndpointArn };
  }

  async describeEndpoint(request: Record<string, unknown>): Promise<DescribeEndpointResponse> {
    const { EndpointName } = parseRequest(DescribeEndpointRequest, request);
    const endpoint = this.requireEndpoint(EndpointName);
    const configName = endpoint.servingConfigName ?? endpoint.pendingConfigName ?? '';
    const serving = endpoint.servingConfigName !== undefined;
    const variants = this.state.endpointConfigs[configName]?.ProductionVariants ?? [];
    const response: DescribeEndpointResponse = {
      EndpointName,
      EndpointArn: endpoint.EndpointArn,
      EndpointConfigName: configName,
      EndpointStatus: endpoint.EndpointStatus,
      ProductionVariants: variants.map((v) => ({
        VariantName: v.VariantName,
        CurrentWeight: serving ? v.InitialVariantWeight : 0,
        DesiredWeight: v.InitialVariantWeight,
        CurrentInstanceCount: serving ? (v.InitialInstanceCount ?? 1) : 0,
        DesiredInstanceCount: v.InitialInstanceCount ?? 1,
      })),
      CreationTime: endpoint.CreationTime,
      LastModifiedTime: endpoint.LastModifiedTime,
    };
    if (endpoint.FailureReason) response.FailureReason = endpoint.FailureReason;
    if (serving && endpoint.pendingConfigName) {
      response.PendingDeploymentSummary = { EndpointConfigName: endpoint.pendingConfigName };
    }
    return response;
  }

  /** InvokeEndpoint in process: routes by weight (or to `targetVariant`) and predicts. */
  invokeEndpoint(endpointName: string, body: unknown, targetVariant?: string): Invocation {
    const deployment = this.serving.get(endpointName);
    if (!deployment) {
      throw new ValidationException(`Endpoint ${endpointName} of account ${ACCOUNT_ID} not found.`);
    }
    const variant = targetVariant
      ? deployment.variants.find((v) => v.name === targetVariant)
      : pickVariant(deployment.variants, (this.options.random ?? Math.random)());
    if (!variant) {
      throw new ValidationException(
        `Endpoint ${endpointName} has no production variant named ${targetVariant}.`,
      );
    }
    return { body: predict(variant.model, body), variant: variant.name };
  }

  /** Serves InvokeEndpoint over HTTP (SageMaker Runtime's REST API) on 127.0.0.1 by default. */
  async startRuntimeServer(options: { port?: number; host?: string } = {}): Promise<RuntimeServer> {
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

  /** Resolves once no endpoint deployment is loading. */
  async settled(): Promise<void> {
    while (this.deployments.size > 0) await Promise.allSettled([...this.deployments]);
    await this.persisting;
  }

  /** Waits for deployments in flight and closes the runtime servers it started. */
  async close(): Promise<void> {
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

  private loadModelNamed(modelName: string): Promise<LoadedModel> {
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

  /** Loads the config in the background, then switches traffic; on failure keeps the old one. */
  private deploy(endpoint: EndpointRecord, configName: string): void {
    const task = (async () => {
      try {
        const deployment = await this.loadDeployment(configName);
        this.serving.set(endpoint.EndpointName, deployment);
        endpoint.servingConfigName = configName;
        endpoint.EndpointStatus = 'InService';
        endpoint.FailureReason = undefined;
        this.log(`endpoint ${endpoint.EndpointName}: InService on ${configName}`);
      } catch (error) {
        endpoint.FailureReason = reasonOf(error);
        endpoint.EndpointStatus = endpoint.servingConfigName ? 'InService' : 'Failed';
        this.log(
          `endpoint ${endpoint.EndpointName}: deploying ${configName} failed (${endpoint.FailureReason}); status ${endpoint.EndpointStatus}`,
        );
      }
      endpoint.pendingConfigName = undefined;
      endpoint.LastModifiedTime = this.now().toISOString();
      await this.persist().catch((error: unknown) =>
        this.log(`state not saved: ${reasonOf(error)}`),
      );
    })();
    this.deployments.add(task);
    void task.finally(() => this.deployments.delete(task));
  }

  private persist(): Promise<void> {
    const write = this.persisting.then(() => writeState(this.statePath, this.state));
    this.persisting = write.catch(() => {});
    return write;
  }
}
