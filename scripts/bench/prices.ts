/**
 * AWS's published on-demand prices used by `npm run bench` for the cost of 1,000 orders. US East
 * (N. Virginia), no free tier, no savings plans. Each price carries where it was read and when;
 * re-read them before relying on the figure (they change: DynamoDB on demand halved on
 * 2024-11-01, and SES added named pricing plans in 2026).
 */
export interface Price {
  usd: number;
  per: string;
  source: string;
  read: string;
  note?: string;
}

const READ = '2026-11-26';

export const PRICES = {
  lambdaArmGbSecond: {
    usd: 0.0000133334,
    per: 'GB-second, Arm (Graviton), first 7.5 billion GB-s a month',
    source: 'https://aws.amazon.com/lambda/pricing/ (table as quoted by https://cloudchipr.com/blog/aws-lambda-pricing)',
    read: READ,
    note: 'since 2025-08-01 the INIT phase (cold start) is billed as duration too',
  },
  lambdaRequest: {
    usd: 0.2 / 1_000_000,
    per: 'request ($0.20 per million, x86 and Arm)',
    source: 'https://aws.amazon.com/lambda/pricing/',
    read: READ,
  },
  stepFunctionsStandardTransition: {
    usd: 0.025 / 1000,
    per: 'state transition, Standard workflows ($0.025 per 1,000; retries count)',
    source: 'https://aws.amazon.com/step-functions/pricing/',
    read: READ,
  },
  dynamodbWriteRequestUnit: {
    usd: 0.625 / 1_000_000,
    per: 'write request unit, on demand, Standard table class ($0.625 per million)',
    source:
      'https://aws.amazon.com/dynamodb/pricing/on-demand/ (after the 2024-11-01 cut; as quoted by https://airbyte.com/data-engineering-resources/dynamodb-pricing)',
    read: READ,
  },
  dynamodbReadRequestUnit: {
    usd: 0.125 / 1_000_000,
    per: 'read request unit, on demand, Standard table class ($0.125 per million)',
    source: 'https://aws.amazon.com/dynamodb/pricing/on-demand/ (as above)',
    read: READ,
  },
  sesEmail: {
    usd: 0.1 / 1000,
    per: 'outbound email, a-la-carte ($0.10 per 1,000; attachments and dedicated IPs extra)',
    source: 'https://aws.amazon.com/ses/pricing/',
    read: READ,
    note: 'SES also sells monthly plans since 2026-07; a-la-carte is the comparable per-message price',
  },
  httpApiRequest: {
    usd: 1.0 / 1_000_000,
    per: 'HTTP API request, first 300 million a month ($1.00 per million)',
    source: 'https://aws.amazon.com/api-gateway/pricing/',
    read: READ,
  },
} satisfies Record<string, Price>;
