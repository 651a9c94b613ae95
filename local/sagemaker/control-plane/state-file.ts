// The control plane's memory (models, endpoint configs, endpoints, training jobs) as one JSON
// file in the work directory, written atomically so a crash never leaves half a state.
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import type {
  EndpointConfigRecord,
  EndpointRecord,
  ModelRecord,
  TrainingJobDescription,
} from './api-shapes.js';

export interface SageMakerState {
  version: 1;
  trainingJobs: Record<string, TrainingJobDescription>;
  models: Record<string, ModelRecord>;
  endpointConfigs: Record<string, EndpointConfigRecord>;
  endpoints: Record<string, EndpointRecord>;
}

export const emptyState = (): SageMakerState => ({
  version: 1,
  trainingJobs: {},
  models: {},
  endpointConfigs: {},
  endpoints: {},
});

export const readState = async (path: string): Promise<SageMakerState> => {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return emptyState();
    throw error;
  }
  const parsed = JSON.parse(text) as Partial<SageMakerState>;
  return { ...emptyState(), ...parsed, version: 1 };
};

export const writeState = async (path: string, state: SageMakerState): Promise<void> => {
  await mkdir(dirname(path), { recursive: true });
  const temporary = `${path}.${process.pid}.tmp`;
  await writeFile(temporary, JSON.stringify(state, null, 2));
  await rename(temporary, path);
};
