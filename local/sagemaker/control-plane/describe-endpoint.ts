// DescribeEndpoint's answer from what the control plane remembers. While a blue/green update
// runs, SageMaker keeps reporting the OLD config (EndpointConfigName, ProductionVariants) and
// shows the new fleet's progress in PendingDeploymentSummary with each variant's VariantStatus.
import type {
  DescribeEndpointResponse,
  EndpointConfigRecord,
  EndpointRecord,
  ProductionVariantSummary,
} from './api-shapes.js';

const summaries = (
  config: EndpointConfigRecord | undefined,
  endpoint: EndpointRecord,
  serving: boolean,
): ProductionVariantSummary[] =>
  (config?.ProductionVariants ?? []).map((v) => {
    const weight = endpoint.desiredWeights?.[v.VariantName] ?? v.InitialVariantWeight;
    const count = endpoint.desiredInstanceCounts?.[v.VariantName] ?? v.InitialInstanceCount ?? 1;
    return {
      VariantName: v.VariantName,
      CurrentWeight: serving ? weight : 0,
      DesiredWeight: weight,
      CurrentInstanceCount: serving ? count : 0,
      DesiredInstanceCount: count,
    };
  });

export const describeEndpoint = (
  endpoint: EndpointRecord,
  configs: Readonly<Record<string, EndpointConfigRecord>>,
): DescribeEndpointResponse => {
  const configName = endpoint.servingConfigName ?? endpoint.pendingConfigName ?? '';
  const serving = endpoint.servingConfigName !== undefined;
  const response: DescribeEndpointResponse = {
    EndpointName: endpoint.EndpointName,
    EndpointArn: endpoint.EndpointArn,
    EndpointConfigName: configName,
    EndpointStatus: endpoint.EndpointStatus,
    ProductionVariants: summaries(configs[configName], endpoint, serving),
    CreationTime: endpoint.CreationTime,
    LastModifiedTime: endpoint.LastModifiedTime,
  };
  if (endpoint.FailureReason) response.FailureReason = endpoint.FailureReason;
  if (endpoint.LastDeploymentConfig) response.LastDeploymentConfig = endpoint.LastDeploymentConfig;
  const rollout = endpoint.deployment;
  if (serving && rollout) {
    const green = configs[rollout.configName]?.ProductionVariants ?? [];
    response.PendingDeploymentSummary = {
      EndpointConfigName: rollout.configName,
      StartTime: rollout.startTime,
      ProductionVariants: green.map((v) => {
        const count = v.InitialInstanceCount ?? 1;
        return {
          VariantName: v.VariantName,
          CurrentWeight: v.InitialVariantWeight * rollout.share,
          DesiredWeight: v.InitialVariantWeight,
          CurrentInstanceCount: Math.round(
            count * (rollout.activeInstances / rollout.totalInstances),
          ),
          DesiredInstanceCount: count,
          VariantStatus: [rollout.stage],
        };
      }),
    };
  } else if (serving && endpoint.pendingConfigName) {
    response.PendingDeploymentSummary = { EndpointConfigName: endpoint.pendingConfigName };
  }
  return response;
};
