// Entry point of the local SageMaker stand-in (control plane, training, endpoint hosting).
export type { LocalSageMakerOptions } from './control-plane/local-sagemaker.js';
export { LocalSageMaker } from './control-plane/local-sagemaker.js';
