// Records a completed deployment: the registry entry for the version and the serving model card
// that the forecast API reads (which version serves, and the category maps it was trained with).
import { NoCuratedDataError } from '../common/errors.js';
import { deeparRunPrefix } from '../common/lake.js';
import { Categories, type ModelCard, registryKey, SERVING_CARD_KEY } from '../common/model-card.js';
import type { ObjectStore } from '../common/ports.js';
import { decodeText } from '../common/text.js';
import type { RecordDeploymentInput } from './schema.js';

export interface RecordDeploymentDeps {
  store: ObjectStore;
  now: () => number;
}

/** The variant name the state machine gives a version's production variant. */
export const variantName = (version: string): string => `v-${version}`;

export const recordDeployment = async (
  input: RecordDeploymentInput,
  deps: RecordDeploymentDeps,
): Promise<ModelCard> => {
  const categoriesKey = `${deeparRunPrefix(input.runId)}categories.json`;
  const bytes = await deps.store.get(categoriesKey);
  if (!bytes) throw new NoCuratedDataError(categoriesKey);
  const card: ModelCard = {
    version: input.version,
    runId: input.runId,
    trainingJobName: input.trainingJobName,
    modelDataUrl: input.modelDataUrl,
    endpointName: input.endpointName,
    variant: variantName(input.version),
    categories: Categories.parse(JSON.parse(decodeText(bytes))),
    metrics: {},
    deployedAt: new Date(deps.now()).toISOString(),
  };
  const body = `${JSON.stringify(card, null, 2)}\n`;
  // Registry first: a serving card must never point at a version the registry lacks.
  await deps.store.put(registryKey(card.version), body, 'application/json');
  await deps.store.put(SERVING_CARD_KEY, body, 'application/json');
  return card;
};
