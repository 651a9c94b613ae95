// The functions' one logger: powertools Logger, JSON lines with the Lambda context (request id,
// function name, cold start) for CloudWatch Logs Insights. Only unexpected errors are logged;
// the level comes from POWERTOOLS_LOG_LEVEL (unset: INFO, which logs nothing else).
import { Logger } from '@aws-lambda-powertools/logger';

export const logger = new Logger({ serviceName: 'smogcast' });
