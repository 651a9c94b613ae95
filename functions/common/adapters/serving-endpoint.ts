// The champion as the steps that score it see it (check-drift, evaluate's backtests, score-ab):
// a ModelEndpoint that answers from the endpoint while the serving pointer names a DeepAR model,
// and in process from the engine's artifact while it names an engine model. A request for a
// production variant by name (an A/B test) always goes to the endpoint.
import { algorithmOf, type ModelCard } from '../../../core/model-card.js';
import type { DeepArRequest, DeepArResponse, ModelEndpoint } from '../../../core/ports.js';
import type { InProcessEngine } from './in-process-engine.js';

export const servingEndpoint = (
  endpoint: ModelEndpoint,
  engine: InProcessEngine,
  modelCard: () => Promise<ModelCard | undefined>,
): ModelEndpoint => ({
  invoke: async (
    request: DeepArRequest,
    targetVariant?: string,
  ): Promise<{ body: DeepArResponse; variant: string | undefined }> => {
    if (targetVariant === undefined) {
      const card = await modelCard();
      if (card && algorithmOf(card) === 'smogcast') return engine.invoke(card, request);
    }
    return endpoint.invoke(request, targetVariant);
  },
});
