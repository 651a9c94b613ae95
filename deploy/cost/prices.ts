// The price table the cost model bills with: us-east-1, on-demand, first volume tier, as read on
// the date below. Each price names the page it was read from; a price the stored pages did not
// show is marked `found: false` and carries the figure used, so the output can flag it.

export interface Price {
  /** US dollars per `unit`. */
  usd: number;
  unit: string;
  /** Title of the page the price was read from. */
  source: string;
  /** False when no stored page showed this price: the figure is the last published one we know, unverified. */
  found: boolean;
  note?: string;
}

export const PRICES_DATE = '2026-12-02';
export const PRICES_REGION = 'us-east-1';

export const PRICES = {
  iotMessages: {
    usd: 1.0,
    unit: 'million messages (5 KB each)',
    source: 'AWS IoT Core pricing (pricing example: "$1.00/1,000,000 messages", first billion)',
    found: true,
    note: 'metered in 5 KB increments, payload and topic (AWS IoT Core additional metering details); Basic Ingest ($aws/rules/…) is not charged for messaging (AWS IoT developer guide, "Reducing messaging costs with Basic Ingest")',
  },
  iotConnectivity: {
    usd: 0.08,
    unit: 'million connection-minutes',
    source: 'AWS IoT Core pricing (pricing example: "$0.08/1,000,000 minutes of connection")',
    found: true,
  },
  iotRulesTriggered: {
    usd: 0.15,
    unit: 'million rules triggered (5 KB each)',
    source: 'AWS IoT Core pricing',
    found: false,
    note: 'the stored pages show the rules engine is billed per rule triggered and per action, not the rate',
  },
  iotActions: {
    usd: 0.15,
    unit: 'million actions executed (5 KB each)',
    source: 'AWS IoT Core pricing',
    found: false,
    note: 'as iotRulesTriggered',
  },
  firehoseIngestGb: {
    usd: 0.029,
    unit: 'GB ingested (records rounded up to 5 KB)',
    source: 'Amazon Data Firehose pricing (5 KB rounding: "a 3 KB record is billed as 5 KB")',
    found: false,
    note: 'the stored pages show the 5 KB rounding per record, not the per-GB rate',
  },
  s3StandardGbMonth: {
    usd: 0.023,
    unit: 'GB-month, S3 Standard, first 50 TB',
    source:
      'Amazon S3 Pricing Explained (cloudburn.io, US East, March 2026); AWS S3 pricing explained (howtogeek)',
    found: true,
  },
  s3InfrequentGbMonth: {
    usd: 0.0125,
    unit: 'GB-month, S3 Standard-IA',
    source: 'AWS S3 pricing explained (howtogeek, us-east-1)',
    found: true,
  },
  s3PutRequests: {
    usd: 0.005,
    unit: '1,000 PUT, COPY, POST or LIST requests',
    source:
      'Understanding per 1000 PUT COPY POST or LIST Requests in Amazon S3 Pricing (cloudkaramchari)',
    found: true,
  },
  s3GetRequests: {
    usd: 0.0004,
    unit: '1,000 GET, HEAD or SELECT requests, S3 Standard',
    source:
      'S3 request fees explained (c3x.dev: "GET is $0.0004/1K"); S3 Cost Calculator Guide (usage.ai, US East, June 2026)',
    found: true,
  },
  lambdaArmGbSecond: {
    usd: 0.0000133334,
    unit: 'GB-second, arm64, first 7.5 billion GB-s',
    source: 'AWS Lambda Pricing Breakdown (cloudchipr, US East)',
    found: true,
  },
  lambdaRequests: {
    usd: 0.2,
    unit: 'million requests',
    source: 'Lambda cost (pricing formula table: "$0.20 / 1M")',
    found: true,
  },
  glueDpuHour: {
    usd: 0.44,
    unit: 'DPU-hour (Spark job billed per second, 1-minute minimum)',
    source:
      'AWS Glue pricing (example: "1 DPU-hour costs 0.44 USD"); Glue Job Cost Optimization (awsnegotiations)',
    found: true,
  },
  glueCrawlerDpuHour: {
    usd: 0.44,
    unit: 'DPU-hour (crawler, 10-minute minimum per crawl)',
    source: 'Glue Job Cost Optimization: DPU-Hour Math (awsnegotiations)',
    found: true,
  },
  stepFunctionsTransitions: {
    usd: 0.025,
    unit: '1,000 state transitions (Standard)',
    source: 'AWS Step Functions Pricing (US East (N. Virginia) $0.0250 per 1,000)',
    found: true,
  },
  sagemakerTrainingM5Large: {
    usd: 0.115,
    unit: 'instance-hour, ml.m5.large training',
    source: 'Amazon SageMaker pricing',
    found: false,
    note: 'the stored pages list other instance types only',
  },
  sagemakerHostingM5Large: {
    usd: 0.115,
    unit: 'instance-hour, ml.m5.large real-time inference',
    source: 'Amazon SageMaker pricing',
    found: false,
    note: 'the stored pages list other instance types only (ml.m5.xlarge $0.269/h)',
  },
  apiGatewayRestRequests: {
    usd: 3.5,
    unit: 'million REST API requests, first 333 million',
    source:
      'Best Practices for Designing Amazon API Gateway Private APIs, Cost optimization (AWS whitepaper)',
    found: true,
  },
  cloudwatchLogsIngestGb: {
    usd: 0.5,
    unit: 'GB of logs ingested',
    source:
      'AWS API Gateway Pricing, REST vs HTTP vs WebSocket (go-cloud.io: "$0.50 per GB ingested")',
    found: true,
  },
} satisfies Record<string, Price>;

export type PriceTable = Record<keyof typeof PRICES, Price>;

/** Instance-hour prices the table holds, by SageMaker instance type. */
export const trainingInstancePrice = (prices: PriceTable, instanceType: string): Price => {
  if (instanceType === 'ml.m5.large') return prices.sagemakerTrainingM5Large;
  throw new Error(
    `no training price for ${instanceType} in the price table (deploy/cost/prices.ts)`,
  );
};

export const hostingInstancePrice = (prices: PriceTable, instanceType: string): Price => {
  if (instanceType === 'ml.m5.large') return prices.sagemakerHostingM5Large;
  throw new Error(
    `no hosting price for ${instanceType} in the price table (deploy/cost/prices.ts)`,
  );
};
