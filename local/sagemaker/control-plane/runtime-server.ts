// SageMaker Runtime's InvokeEndpoint REST API (restJson1) over node:http, so the forecast
// Lambda's @aws-sdk/client-sagemaker-runtime call works unchanged against the local endpoint.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  PayloadTooLargeError,
  parseJsonBody,
  readBody,
} from '../../../forecasting/container/model-server.js';
import { ModelRequestError } from '../../../forecasting/errors.js';
import { ValidationException } from '../errors.js';
import { ACCOUNT_ID, REGION } from './api-shapes.js';

export interface RuntimeServer {
  url: string;
  close(): Promise<void>;
}

export interface InvokeResult {
  body: unknown;
  variant: string;
  /** Which fleet (endpoint config) answered; sent as the local-only x-smogcast-endpoint-config. */
  configName?: string;
}

export interface EndpointInvoker {
  invokeEndpoint(
    endpointName: string,
    body: unknown,
    targetVariant?: string,
  ): InvokeResult | Promise<InvokeResult>;
}

/**
 * Authorises one InvokeEndpoint: the caller's access key id (from the request's SigV4
 * Authorization header) and the endpoint; answers AWS's denial message, or undefined to allow.
 */
export type InvokeAuthorizer = (
  accessKeyId: string | undefined,
  endpointName: string,
) => Promise<string | undefined>;

/** The access key id of a SigV4-signed request, as the Authorization header's Credential names it. */
export const signingKeyOf = (req: IncomingMessage): string | undefined =>
  /Credential=([^/,\s]+)\//.exec(req.headers.authorization ?? '')?.[1];

/** Local-only response header naming the endpoint config (blue or green fleet) that answered. */
export const ENDPOINT_CONFIG_HEADER = 'x-smogcast-endpoint-config';

const INVOCATIONS = /^\/endpoints\/([^/]+)\/invocations$/;

const sendError = (
  res: ServerResponse,
  status: number,
  type: string,
  body: Record<string, unknown>,
  headers: Record<string, string> = {},
): void => {
  res.writeHead(status, {
    ...headers,
    'content-type': 'application/json',
    'x-amzn-errortype': type,
    'x-amzn-requestid': crypto.randomUUID(),
  });
  res.end(JSON.stringify(body));
};

const handle = async (
  invoker: EndpointInvoker,
  authorize: InvokeAuthorizer | undefined,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> => {
  const path = (req.url ?? '/').split('?')[0] ?? '/';
  if (req.method === 'GET' && path === '/ping') {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end('{"status":"healthy"}');
    return;
  }
  const match = INVOCATIONS.exec(path);
  if (req.method !== 'POST' || !match) {
    sendError(res, 404, 'UnknownOperationException', {
      message: `no operation ${req.method} ${path}`,
    });
    return;
  }
  const endpointName = decodeURIComponent(match[1] ?? '');
  const target = req.headers['x-amzn-sagemaker-target-variant'];
  let denied: string | undefined;
  try {
    denied = await authorize?.(signingKeyOf(req), endpointName);
  } catch (error) {
    req.resume();
    sendError(res, 500, 'InternalFailure', { message: `authorisation failed: ${String(error)}` });
    return;
  }
  if (denied !== undefined) {
    req.resume();
    sendError(res, 403, 'AccessDeniedException', { message: denied });
    return;
  }
  try {
    const body = parseJsonBody(await readBody(req));
    const result = await invoker.invokeEndpoint(
      endpointName,
      body,
      typeof target === 'string' ? target : undefined,
    );
    res.writeHead(200, {
      'content-type': 'application/json',
      'x-amzn-invoked-production-variant': result.variant,
      'x-amzn-requestid': crypto.randomUUID(),
      ...(result.configName ? { [ENDPOINT_CONFIG_HEADER]: result.configName } : {}),
    });
    res.end(JSON.stringify(result.body));
  } catch (error) {
    if (error instanceof PayloadTooLargeError) {
      sendError(res, 413, 'ValidationError', { message: error.message });
    } else if (error instanceof ValidationException || error instanceof ModelRequestError) {
      sendError(res, 400, 'ValidationError', { message: error.message });
    } else {
      // What SageMaker reports when the container itself fails: the model's status and message.
      const message = error instanceof Error ? error.message : String(error);
      const fleet = (error as { configName?: unknown }).configName;
      sendError(
        res,
        424,
        'ModelError',
        {
          message: `Received server error (500) from model with message "${message}".`,
          OriginalStatusCode: 500,
          OriginalMessage: message,
          LogStreamArn: `arn:aws:logs:${REGION}:${ACCOUNT_ID}:log-group:/aws/sagemaker/Endpoints/${endpointName}`,
        },
        typeof fleet === 'string' ? { [ENDPOINT_CONFIG_HEADER]: fleet } : {},
      );
    }
  }
};

export interface RuntimeServerOptions {
  port?: number;
  host?: string;
  /** IAM for InvokeEndpoint (absent: every caller may invoke). */
  authorize?: InvokeAuthorizer;
}

export const startRuntimeServer = async (
  invoker: EndpointInvoker,
  options: RuntimeServerOptions = {},
): Promise<RuntimeServer> => {
  const host = options.host ?? '127.0.0.1';
  const server = createServer((req, res) => {
    void handle(invoker, options.authorize, req, res);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://${host.includes(':') ? `[${host}]` : host}:${port}`,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      }),
  };
};
