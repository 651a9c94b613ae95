// Asks the account for the figures deploy/account-requirements.ts needs, with the real AWS SDK v3
// clients: Service Quotas (applied values, and AWS's defaults where nothing is applied), Lambda's
// account settings, API Gateway's account settings and IoT Core's data endpoint. Read-only calls;
// a service that refuses or fails is reported with its error, the others are still asked.
import { APIGatewayClient, GetAccountCommand } from '@aws-sdk/client-api-gateway';
import { DescribeEndpointCommand, IoTClient } from '@aws-sdk/client-iot';
import { GetAccountSettingsCommand, LambdaClient } from '@aws-sdk/client-lambda';
import {
  paginateListAWSDefaultServiceQuotas,
  paginateListServiceQuotas,
  ServiceQuotasClient,
} from '@aws-sdk/client-service-quotas';
import {
  type AccountFigures,
  type QuotaRef,
  quotaKey,
  type Requirement,
} from './account-requirements.js';

export interface AccountClients {
  serviceQuotas: ServiceQuotasClient;
  lambda: LambdaClient;
  apiGateway: APIGatewayClient;
  iot: IoTClient;
}

export interface ClientOptions {
  region: string;
  /** One endpoint for every client (a local server speaking the services' protocols), or none. */
  endpoint?: string;
  credentials?: { accessKeyId: string; secretAccessKey: string; sessionToken?: string };
}

/** The four clients, in one region (credentials from the SDK's default chain unless given). */
export const accountClients = (options: ClientOptions): AccountClients => {
  const config = {
    region: options.region,
    ...(options.endpoint ? { endpoint: options.endpoint } : {}),
    ...(options.credentials ? { credentials: options.credentials } : {}),
    maxAttempts: 2,
  };
  return {
    serviceQuotas: new ServiceQuotasClient(config),
    lambda: new LambdaClient(config),
    apiGateway: new APIGatewayClient(config),
    iot: new IoTClient(config),
  };
};

export const destroyClients = (clients: AccountClients): void => {
  for (const client of Object.values(clients)) client.destroy();
};

const describe = (error: unknown): string => {
  const e = error as { name?: string; message?: string };
  return `${e.name ?? 'Error'}: ${e.message ?? String(error)}`;
};

/** The quotas of one service code, applied values over AWS's defaults, keyed by name. */
const serviceQuotas = async (
  client: ServiceQuotasClient,
  serviceCode: string,
  names: Set<string>,
  figures: AccountFigures,
): Promise<void> => {
  const take = (
    quota: { QuotaName?: string; QuotaCode?: string; Value?: number },
    source: 'applied' | 'default',
  ) => {
    if (!quota.QuotaName || quota.Value === undefined || !names.has(quota.QuotaName)) return;
    const key = quotaKey({ serviceCode, quotaName: quota.QuotaName });
    if (source === 'default' && figures.quotas.has(key)) return;
    figures.quotas.set(key, { value: quota.Value, code: quota.QuotaCode ?? '?', source });
  };
  for await (const page of paginateListServiceQuotas({ client }, { ServiceCode: serviceCode })) {
    for (const quota of page.Quotas ?? []) take(quota, 'applied');
  }
  const missing = [...names].filter(
    (name) => !figures.quotas.has(quotaKey({ serviceCode, quotaName: name })),
  );
  if (missing.length === 0) return;
  for await (const page of paginateListAWSDefaultServiceQuotas(
    { client },
    { ServiceCode: serviceCode },
  )) {
    for (const quota of page.Quotas ?? []) take(quota, 'default');
  }
};

/** The figures the requirements need, each service asked once. */
export const probeAccount = async (
  requirements: readonly Requirement[],
  clients: AccountClients,
): Promise<AccountFigures> => {
  const figures: AccountFigures = { quotas: new Map(), errors: new Map() };
  const quotas = new Map<string, Set<string>>();
  const kinds = new Set(requirements.map((r) => r.need.kind));
  for (const r of requirements) {
    if (r.need.kind !== 'quota') continue;
    const q: QuotaRef = r.need.quota;
    quotas.set(q.serviceCode, (quotas.get(q.serviceCode) ?? new Set()).add(q.quotaName));
  }
  const ask = async (service: string, call: () => Promise<void>) => {
    try {
      await call();
    } catch (error) {
      figures.errors.set(service, describe(error));
    }
  };
  await Promise.all([
    ...[...quotas].map(([serviceCode, names]) =>
      ask(serviceCode, () => serviceQuotas(clients.serviceQuotas, serviceCode, names, figures)),
    ),
    kinds.has('unreserved-concurrency')
      ? ask('lambda', async () => {
          const { AccountLimit } = await clients.lambda.send(new GetAccountSettingsCommand({}));
          if (
            AccountLimit?.ConcurrentExecutions === undefined ||
            AccountLimit.UnreservedConcurrentExecutions === undefined
          ) {
            throw new Error('GetAccountSettings answered without AccountLimit concurrency figures');
          }
          figures.lambda = {
            concurrentExecutions: AccountLimit.ConcurrentExecutions,
            unreservedConcurrentExecutions: AccountLimit.UnreservedConcurrentExecutions,
          };
        })
      : undefined,
    kinds.has('apigateway-cloudwatch-role')
      ? ask('apigateway', async () => {
          const account = await clients.apiGateway.send(new GetAccountCommand({}));
          figures.apiGatewayCloudWatchRoleArn = account.cloudwatchRoleArn ?? '';
        })
      : undefined,
    kinds.has('iot-data-endpoint')
      ? ask('iot', async () => {
          const { endpointAddress } = await clients.iot.send(
            new DescribeEndpointCommand({ endpointType: 'iot:Data-ATS' }),
          );
          if (endpointAddress) figures.iotDataEndpoint = endpointAddress;
        })
      : undefined,
  ]);
  return figures;
};
