import { badInputCases } from './cases/bad-input';
import { loadCases } from './cases/load';
import { startReliabilityEnv, stopReliabilityEnv, type ReliabilityEnv } from './support';

/**
 * Bad input, load and duplicate storms on one local pipeline (started once; the cases run in this
 * order, bad input first on an almost empty table), as configured by the template. Printify and
 * SES faults: faults.test.ts; the DynamoDB outage: dynamodb-outage.test.ts. Sizes: support.ts.
 */
let env: ReliabilityEnv | undefined;
beforeAll(async () => {
  env = await startReliabilityEnv();
}, 120_000);
afterAll(() => stopReliabilityEnv(env));

const current = (): ReliabilityEnv => {
  if (!env) throw new Error('the pipeline did not start');
  return env;
};

badInputCases(current);
loadCases(current);
