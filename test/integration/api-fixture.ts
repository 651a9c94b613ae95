// The integration tests' serving runtime: the one bench:api uses too, from local/.

export { quickRuntimeSettings as testRuntimeSettings } from '../../local/runtime-defaults.js';
export {
  API_KEY,
  type ServingRuntime,
  type ServingRuntimeOptions,
  startServingRuntime,
} from '../../local/serving-runtime.js';
