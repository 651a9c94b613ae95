// GET /forecast — API Gateway (REST, proxy) → forecast core. The API key is enforced by API
// Gateway (and by the local API server, which plays its part).
import middy from '@middy/core';
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { type Config, loadConfig } from '../common/config.js';
import { createModelEndpoint, createObjectStore } from '../common/deps.js';
import { badRequest, httpErrorHandler, jsonResponse } from '../common/http.js';
import { cachedModelCard } from '../common/model-card-source.js';
import { type ForecastDeps, forecast } from './forecast.js';
import { forecastQuerySchema } from './schema.js';

const parseQuery = (event: APIGatewayProxyEvent, predictionLength: number) => {
  const multi = event.multiValueQueryStringParameters ?? {};
  const repeated = Object.entries(multi).find(([, values]) => (values?.length ?? 0) > 1);
  if (repeated) throw badRequest(`parameter ${repeated[0]} is given more than once`);
  const parsed = forecastQuerySchema(predictionLength).safeParse(event.queryStringParameters ?? {});
  if (!parsed.success) {
    throw badRequest(
      parsed.error.issues.map((i) => `${i.path.join('.') || 'query'}: ${i.message}`).join('; '),
    );
  }
  return parsed.data;
};

export const makeHandler = (deps: ForecastDeps) =>
  middy<APIGatewayProxyEvent, APIGatewayProxyResult>()
    .use(httpErrorHandler())
    .handler(async (event) => {
      const query = parseQuery(event, deps.predictionLength);
      return jsonResponse(200, await forecast(query, deps));
    });

export const createForecastDeps = (config: Config): ForecastDeps => {
  const store = createObjectStore(config);
  return {
    store,
    endpoint: createModelEndpoint(config),
    predictionLength: config.predictionLength,
    modelCard: cachedModelCard(store),
    now: Date.now,
  };
};

export const handler = makeHandler(createForecastDeps(loadConfig(process.env)));
