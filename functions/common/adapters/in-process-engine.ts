// The engine served in process (algorithm smogcast): the model artifact the serving pointer
// names is read from the lake once per warm instance and version, and every request is answered
// by the inference container's own core (forecasting/container/model-server.ts `predict`), so
// the DeepAR request/response contract is the endpoint's. No endpoint exists or is paid for.
import { LRUCache } from 'lru-cache';
import { keyOfS3Uri } from '../../../core/engine-artifact.js';
import { ModelInputRejectedError } from '../../../core/errors.js';
import type { DeepArRequest, DeepArResponse, ObjectStore } from '../../../core/ports.js';
import { decodeText } from '../../../core/text.js';
import { type LoadedModel, predict } from '../../../forecasting/container/model-server.js';
import { ModelLoadError, ModelRequestError } from '../../../forecasting/errors.js';
import { forecasterFor } from '../../../forecasting/model/registry.js';

/** The model a request is for: its version keys the cache, its artifact is loaded once. */
export interface EngineModelRef {
  version: string;
  modelDataUrl: string;
}

/** The variant name the in-process engine answers as (one per pointer, as an endpoint's primary). */
export const IN_PROCESS_VARIANT = 'in-process';

export class InProcessEngine {
  /** Loads by version, least recently used let go first (`keep`: the champion and a canary). */
  private readonly loaded: LRUCache<string, Promise<LoadedModel>>;

  constructor(
    private readonly store: ObjectStore,
    keep = 2,
  ) {
    this.loaded = new LRUCache({ max: keep });
  }

  private load(model: EngineModelRef): Promise<LoadedModel> {
    const hit = this.loaded.get(model.version);
    if (hit) return hit;
    const loading = (async () => {
      const key = keyOfS3Uri(model.modelDataUrl);
      const bytes = await this.store.get(key);
      if (!bytes) throw new ModelLoadError(`no engine artifact at ${key}`);
      return forecasterFor(JSON.parse(decodeText(bytes)));
    })();
    // A failed load is not remembered: the next request tries again.
    loading.catch(() => {
      if (this.loaded.peek(model.version) === loading) this.loaded.delete(model.version);
    });
    this.loaded.set(model.version, loading);
    return loading;
  }

  /** Versions held in memory now (least recently used first). */
  cachedVersions(): string[] {
    return [...this.loaded.rkeys()];
  }

  async invoke(
    model: EngineModelRef,
    request: DeepArRequest,
  ): Promise<{ body: DeepArResponse; variant: string | undefined }> {
    const loaded = await this.load(model);
    try {
      return { body: predict(loaded, request), variant: IN_PROCESS_VARIANT };
    } catch (error) {
      if (error instanceof ModelRequestError) {
        throw new ModelInputRejectedError(error.message, { cause: error });
      }
      throw error;
    }
  }
}
