// Where the in-process engine's model artifacts live (models/engine/<version>/model.json) and
// which algorithm a trained version is: the serving pointer and the registry name it, the
// forecast Lambda loads the artifact named there.
import { MODELS_PREFIX } from './lake.js';

/** The algorithms a stage may train: `deepar` (SageMaker), `smogcast` (the engine in Lambda), or both. */
export const ALGORITHMS = ['deepar', 'smogcast'] as const;
export type Algorithm = (typeof ALGORITHMS)[number];
export const ALGORITHM_CHOICES = ['deepar', 'smogcast', 'both'] as const;
export type AlgorithmChoice = (typeof ALGORITHM_CHOICES)[number];

export const ENGINE_ARTIFACTS_PREFIX = `${MODELS_PREFIX}engine/`;

/** The artifact key of an engine version. */
export const engineArtifactKey = (version: string): string =>
  `${ENGINE_ARTIFACTS_PREFIX}${version}/model.json`;

/** The training "job" name of an engine version (no SageMaker job: the name marks the algorithm). */
export const engineTrainingName = (version: string): string => `smogcast-engine-${version}`;

/** The key of an `s3://bucket/key` URI (the bucket is the lake's). */
export const keyOfS3Uri = (uri: string): string => {
  const match = /^s3:\/\/[^/]+\/(.+)$/.exec(uri);
  if (!match?.[1]) throw new Error(`not an s3:// object URI: ${uri}`);
  return match[1];
};
