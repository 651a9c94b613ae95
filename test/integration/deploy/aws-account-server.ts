// A stand-in AWS account for deploy:check's tests: one HTTP server on 127.0.0.1 that answers the
// read-only calls deploy/account-probe.ts makes, in each service's own wire protocol — Service
// Quotas (awsJson1_1, paged), Lambda GetAccountSettings and API Gateway GetAccount and IoT
// DescribeEndpoint (restJson) — so the real SDK clients, pointed at it, do their real parsing.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Quota {
  ServiceCode: string;
  QuotaName: string;
  QuotaCode: string;
  Value: number;
}

export interface AccountState {
  applied: Quota[];
  defaults: Quota[];
  lambda: { ConcurrentExecutions: number; UnreservedConcurrentExecutions: number };
  cloudwatchRoleArn?: string;
  iotDataEndpoint: string;
  /** Services (by signing name) that answer AccessDenied. */
  denied?: string[];
}

export interface Call {
  /** The signing name in the request's SigV4 credential scope (servicequotas, lambda, …). */
  signedFor: string;
  operation: string;
}

const body = (req: IncomingMessage): Promise<string> =>
  new Promise((resolve, reject) => {
    let text = '';
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => {
      text += chunk;
    });
    req.on('end', () => resolve(text));
    req.on('error', reject);
  });

const json = (
  res: ServerResponse,
  status: number,
  payload: unknown,
  contentType: string,
  errorType?: string,
) => {
  res.writeHead(status, {
    'content-type': contentType,
    'x-amzn-requestid': 'local-request',
    ...(errorType ? { 'x-amzn-errortype': errorType } : {}),
  });
  res.end(JSON.stringify(payload));
};

/** One page per quota, so a client that does not follow NextToken misses quotas. */
const page = (quotas: Quota[], serviceCode: string, token: unknown) => {
  const all = quotas.filter((q) => q.ServiceCode === serviceCode);
  const at = typeof token === 'string' ? Number(token) : 0;
  const next = at + 1 < all.length ? String(at + 1) : undefined;
  return { Quotas: all.slice(at, at + 1), ...(next ? { NextToken: next } : {}) };
};

export const startAccountServer = async (state: AccountState) => {
  const calls: Call[] = [];
  const server = createServer(async (req, res) => {
    const text = await body(req);
    const scope = /Credential=[^/]+\/\d{8}\/[^/]+\/([^/]+)\/aws4_request/.exec(
      req.headers.authorization ?? '',
    );
    const signedFor = scope?.[1] ?? 'unsigned';
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const denied = state.denied?.includes(signedFor);
    const target = String(req.headers['x-amz-target'] ?? '');
    if (
      signedFor === 'servicequotas' &&
      req.method === 'POST' &&
      target.startsWith('ServiceQuotasV20190624.')
    ) {
      const operation = target.slice('ServiceQuotasV20190624.'.length);
      calls.push({ signedFor, operation });
      const type = 'application/x-amz-json-1.1';
      if (denied)
        return json(
          res,
          400,
          {
            __type: 'AccessDeniedException',
            message: 'not authorized to perform servicequotas:ListServiceQuotas',
          },
          type,
        );
      const input = JSON.parse(text || '{}') as { ServiceCode?: string; NextToken?: string };
      if (operation === 'ListServiceQuotas')
        return json(res, 200, page(state.applied, input.ServiceCode ?? '', input.NextToken), type);
      if (operation === 'ListAWSDefaultServiceQuotas')
        return json(res, 200, page(state.defaults, input.ServiceCode ?? '', input.NextToken), type);
      return json(res, 400, { __type: 'UnknownOperationException', message: operation }, type);
    }
    const rest = (operation: string, payload: unknown) => {
      calls.push({ signedFor, operation });
      if (denied) {
        return json(
          res,
          403,
          { message: `not authorized to perform ${signedFor}:${operation}` },
          'application/json',
          'AccessDeniedException',
        );
      }
      return json(res, 200, payload, 'application/json');
    };
    if (
      signedFor === 'lambda' &&
      req.method === 'GET' &&
      url.pathname === '/2016-08-19/account-settings'
    ) {
      return rest('GetAccountSettings', {
        AccountLimit: { ...state.lambda, TotalCodeSize: 80530636800 },
        AccountUsage: { FunctionCount: 0, TotalCodeSize: 0 },
      });
    }
    if (signedFor === 'apigateway' && req.method === 'GET' && url.pathname === '/account') {
      return rest('GetAccount', {
        ...(state.cloudwatchRoleArn ? { cloudwatchRoleArn: state.cloudwatchRoleArn } : {}),
        throttleSettings: { burstLimit: 5000, rateLimit: 10000 },
        features: [],
      });
    }
    if (signedFor === 'iot' && req.method === 'GET' && url.pathname === '/endpoint') {
      if (url.searchParams.get('endpointType') !== 'iot:Data-ATS') {
        return json(
          res,
          400,
          { message: 'endpointType must be iot:Data-ATS here' },
          'application/json',
          'InvalidRequestException',
        );
      }
      return rest('DescribeEndpoint', { endpointAddress: state.iotDataEndpoint });
    }
    calls.push({ signedFor, operation: `${req.method} ${url.pathname}` });
    json(
      res,
      404,
      { message: `no route for ${signedFor} ${req.method} ${url.pathname}` },
      'application/json',
      'UnknownOperationException',
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    calls,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
};
