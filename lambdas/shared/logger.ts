import { Logger } from '@aws-lambda-powertools/logger';

/** Structured JSON logs; POWERTOOLS_SERVICE_NAME and POWERTOOLS_LOG_LEVEL come from the stack. */
export const logger = new Logger();
