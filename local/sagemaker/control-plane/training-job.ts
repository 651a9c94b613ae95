// One SageMaker training job, run locally: stage the S3 channels and hyperparameters into the
// container layout, run the trainer in a process of its own, ship model/ as model.tar.gz to the output path.
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ObjectStore } from '../../../core/ports.js';
import { trainingPaths } from '../../../forecasting/container/run-training.js';
import type { CreateTrainingJobRequest, TrainingJobDescription } from './api-shapes.js';
import { arn } from './api-shapes.js';
import { packModelDir } from './model-artifacts.js';
import { downloadPrefix, keyInStore } from './s3-objects.js';
import { runTrainingContainer } from './training-container.js';

export interface TrainingJobDeps {
  store: ObjectStore;
  /** The job's private directory (its /opt/ml). */
  jobDir: string;
  seed: number;
  log: (message: string) => void;
  now: () => Date;
}

/** `<S3OutputPath>/<TrainingJobName>/output/model.tar.gz`, as SageMaker names it. */
export const modelArtifactUri = (outputPath: string, jobName: string): string =>
  `${outputPath.replace(/\/+$/, '')}/${jobName}/output/model.tar.gz`;

export const describeNewJob = (
  request: CreateTrainingJobRequest,
  now: Date,
): TrainingJobDescription => ({
  TrainingJobName: request.TrainingJobName,
  TrainingJobArn: arn('training-job', request.TrainingJobName),
  TrainingJobStatus: 'InProgress',
  SecondaryStatus: 'Starting',
  HyperParameters: request.HyperParameters ?? {},
  AlgorithmSpecification: request.AlgorithmSpecification,
  RoleArn: request.RoleArn,
  InputDataConfig: request.InputDataConfig,
  OutputDataConfig: request.OutputDataConfig,
  FinalMetricDataList: [],
  CreationTime: now.toISOString(),
  TrainingStartTime: now.toISOString(),
});

/** SageMaker's ClientError for an empty channel, surfaced as the job's FailureReason. */
class EmptyChannelError extends Error {
  constructor(channel: string, uri: string) {
    super(
      `ClientError: No S3 objects found under S3 URL "${uri}" given in input data source (channel ${channel})`,
    );
    this.name = 'EmptyChannelError';
  }
}

const stage = async (request: CreateTrainingJobRequest, deps: TrainingJobDeps) => {
  const paths = trainingPaths(deps.jobDir);
  await mkdir(join(deps.jobDir, 'input', 'config'), { recursive: true });
  for (const channel of request.InputDataConfig) {
    const uri = channel.DataSource.S3DataSource.S3Uri;
    const dir = join(deps.jobDir, 'input', 'data', channel.ChannelName);
    await mkdir(dir, { recursive: true });
    const count = await downloadPrefix(deps.store, uri, dir);
    if (count === 0) throw new EmptyChannelError(channel.ChannelName, uri);
    deps.log(
      `training job ${request.TrainingJobName}: channel ${channel.ChannelName} ${count} objects`,
    );
  }
  await writeFile(paths.hyperparameters, JSON.stringify(request.HyperParameters ?? {}));
};

/** The reason the trainer wrote, else the error itself (staging and upload failures). */
const failureReason = async (jobDir: string, error: unknown): Promise<string> => {
  const written = await readFile(trainingPaths(jobDir).failure, 'utf8').catch(() => undefined);
  if (written) return written;
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
};

/** Runs the job to its end state; never throws: a failure is a Failed description. */
export const runTrainingJob = async (
  request: CreateTrainingJobRequest,
  deps: TrainingJobDeps,
): Promise<TrainingJobDescription> => {
  const started = describeNewJob(request, deps.now());
  // A job name is used once, but a previous run of the process may have left its directory.
  await rm(deps.jobDir, { recursive: true, force: true });
  try {
    keyInStore(deps.store, request.OutputDataConfig.S3OutputPath);
    await stage(request, deps);
    const result = await runTrainingContainer({
      root: deps.jobDir,
      seed: deps.seed,
      log: deps.log,
    });
    const artifact = modelArtifactUri(
      request.OutputDataConfig.S3OutputPath,
      request.TrainingJobName,
    );
    await deps.store.put(
      keyInStore(deps.store, artifact),
      await packModelDir(result.modelDir),
      'application/gzip',
    );
    const end = deps.now().toISOString();
    return {
      ...started,
      TrainingJobStatus: 'Completed',
      SecondaryStatus: 'Completed',
      ModelArtifacts: { S3ModelArtifacts: artifact },
      FinalMetricDataList: result.metrics.map((m) => ({
        MetricName: m.name,
        Value: m.value,
        Timestamp: end,
      })),
      TrainingEndTime: end,
    };
  } catch (error) {
    return {
      ...started,
      TrainingJobStatus: 'Failed',
      SecondaryStatus: 'Failed',
      FailureReason: await failureReason(deps.jobDir, error),
      TrainingEndTime: deps.now().toISOString(),
    };
  }
};
