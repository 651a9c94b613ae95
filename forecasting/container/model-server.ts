// The inference container's contract: a model directory in, DeepAR JSON predictions out, served
// over SageMaker's container HTTP API (GET /ping, POST /invocations).
import { readFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { join } from 'node:path';
import type { DeepArPrediction, DeepArRequest, DeepArResponse } from '../../core/ports.js';
import { hashString } from '../../core/random.js';
import { ModelLoadError, ModelRequestError } from '../errors.js';
import { forecasterFor } from '../model/registry.js';
import type { Forecaster, ModelJson, Series } from '../model/types.js';
import { parseInferenceRequest } from './inference-request.js';
import { MODEL_FILE } from './run-training.js';

export interface LoadedModel {
  forecaster: Forecaster;
  model: ModelJson;
}

/** SageMaker's real-time payload limit. */
export const MAX_PAYLOAD_BYTES = 6 * 1024 * 1024;

export const loadModel = async (modelDir: string): Promise<LoadedModel> => {
  let text: string;
  try {
    text = await readFile(join(modelDir, MODEL_FILE), 'utf8');
  } catch (error) {
    throw new ModelLoadError(`no ${MODEL_FILE} in ${modelDir}`, { cause: error });
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new ModelLoadError(`${MODEL_FILE} in ${modelDir} is not valid JSON`, { cause: error });
  }
  return forecasterFor(json);
};

/**
 * DeepAR's rule for categories: a model trained with them needs a `cat` of the same length
 * in each instance, each index one the model was trained with.
 */
const checkCategories = (model: ModelJson, instances: readonly Series[]): void => {
  const { cardinality } = model as { cardinality?: unknown };
  if (!Array.isArray(cardinality)) return;
  instances.forEach((instance, i) => {
    if (instance.cat?.length !== cardinality.length) {
      throw new ModelRequestError(
        `instances[${i}].cat must have ${cardinality.length} entries: the model was trained with categories`,
      );
    }
    instance.cat.forEach((v, j) => {
      if (v >= (cardinality[j] as number)) {
        throw new ModelRequestError(
          `instances[${i}].cat[${j}] must be below ${cardinality[j]} (the categories trained with), got ${v}`,
        );
      }
    });
  });
};

/** A prediction with a non-finite number would reach the client as null: refuse it instead. */
const checkFinite = (prediction: DeepArPrediction, i: number): DeepArPrediction => {
  const values = [
    ...(prediction.mean ?? []),
    ...Object.values(prediction.quantiles ?? {}).flat(),
    ...(prediction.samples ?? []).flat(),
  ];
  if (!values.every(Number.isFinite)) {
    throw new ModelRequestError(
      `instances[${i}].target: its values are too large to forecast (the result is not finite)`,
    );
  }
  return prediction;
};

/** Answers one DeepAR request; throws ModelRequestError for malformed input. */
export const predict = (loaded: LoadedModel, request: DeepArRequest | unknown): DeepArResponse => {
  const { instances, config } = parseInferenceRequest(request);
  checkCategories(loaded.model, instances);
  const baseSeed = Number((loaded.model as { seed?: unknown }).seed ?? 0) >>> 0;
  return {
    predictions: instances.map((instance, i) =>
      checkFinite(
        loaded.forecaster.predict(loaded.model, instance, {
          ...config,
          // Same instance, same samples: a retried call returns the identical forecast.
          seed: (baseSeed ^ hashString(JSON.stringify(instance))) >>> 0,
        }),
        i,
      ),
    ),
  };
};

export class PayloadTooLargeError extends ModelRequestError {
  override readonly name: string = 'PayloadTooLargeError';

  constructor(limit: number) {
    super(`request body exceeds ${limit} bytes`);
  }
}

/** The body of a request as text, refusing more than `limit` bytes. */
export const readBody = async (
  req: IncomingMessage,
  limit = MAX_PAYLOAD_BYTES,
): Promise<string> => {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > limit) throw new PayloadTooLargeError(limit);
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
};

/** Parses a JSON body; a syntax error is the client's fault. */
export const parseJsonBody = (text: string): unknown => {
  try {
    return JSON.parse(text);
  } catch {
    throw new ModelRequestError('request body is not valid JSON');
  }
};

const sendJson = (res: ServerResponse, status: number, body: unknown): void => {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
};

const handle = async (loaded: LoadedModel, req: IncomingMessage, res: ServerResponse) => {
  const path = (req.url ?? '/').split('?')[0];
  if (path === '/ping' && req.method === 'GET') return sendJson(res, 200, { status: 'healthy' });
  if (path === '/invocations' && req.method === 'POST') {
    try {
      const body = parseJsonBody(await readBody(req));
      return sendJson(res, 200, predict(loaded, body));
    } catch (error) {
      if (error instanceof PayloadTooLargeError)
        return sendJson(res, 413, { error: error.message });
      if (error instanceof ModelRequestError) return sendJson(res, 400, { error: error.message });
      return sendJson(res, 500, { error: 'model failed to predict' });
    }
  }
  return sendJson(res, 404, { error: `no route ${req.method} ${path}` });
};

/** SageMaker's inference container over one model directory; call `listen` on the result. */
export const createModelServer = async (modelDir: string): Promise<Server> => {
  const loaded = await loadModel(modelDir);
  return createServer((req, res) => {
    void handle(loaded, req, res);
  });
};
