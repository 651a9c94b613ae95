// Input of the record-deployment step, as the state machine passes it.
import { z } from 'zod';

export const RecordDeploymentInput = z.object({
  runId: z.string().min(1),
  version: z.string().min(1),
  trainingJobName: z.string().min(1),
  modelDataUrl: z.string().min(1),
  endpointName: z.string().min(1),
  endpointConfigName: z.string().min(1),
});
export type RecordDeploymentInput = z.infer<typeof RecordDeploymentInput>;
