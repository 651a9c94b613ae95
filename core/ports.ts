// Ports: the small interfaces the pure cores depend on. Adapters live in ./adapters.
import type { DeepArInstance } from './deepar.js';

/** One bucket of an object store (S3, or the local S3-compatible server behind the same SDK). */
export interface ObjectStore {
  readonly bucket: string;
  /** The object's bytes, or undefined when the key does not exist. */
  get(key: string): Promise<Uint8Array | undefined>;
  put(key: string, body: Uint8Array | string, contentType?: string): Promise<void>;
  /** Every key under the prefix, in lexicographic order. */
  list(prefix: string): Promise<string[]>;
  delete(key: string): Promise<void>;
  /**
   * Optional compare-and-swap, for read-modify-write of shared objects (context/…): the body
   * with its ETag, and a put that succeeds only if the ETag is still `ifMatch` (null: only if
   * the object does not exist). `putIfMatch` resolves the written object's ETag, or false when
   * another writer got there first.
   */
  getVersioned?(key: string): Promise<VersionedObject | undefined>;
  putIfMatch?(
    key: string,
    body: Uint8Array | string,
    ifMatch: string | null,
    contentType?: string,
  ): Promise<string | false>;
}

export interface VersionedObject {
  body: Uint8Array;
  etag: string;
}

/** A SageMaker-style model endpoint: DeepAR inference JSON in, JSON out. */
export interface ModelEndpoint {
  /** `targetVariant` sends the request to that production variant (SageMaker's TargetVariant). */
  invoke(
    request: DeepArRequest,
    targetVariant?: string,
  ): Promise<{ body: DeepArResponse; variant: string | undefined }>;
}

export interface DeepArRequest {
  instances: DeepArInstance[];
  configuration?: {
    num_samples?: number;
    output_types?: Array<'mean' | 'quantiles' | 'samples'>;
    quantiles?: string[];
  };
}

export interface DeepArPrediction {
  mean?: number[];
  quantiles?: Record<string, number[]>;
  samples?: number[][];
}

export interface DeepArResponse {
  predictions: DeepArPrediction[];
}
