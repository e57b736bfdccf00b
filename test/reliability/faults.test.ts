import { faultCases } from './cases/faults';
import { startReliabilityEnv, stopReliabilityEnv, type ReliabilityEnv } from './support';

/**
 * Printify and SES failing, on a local pipeline of their own: the Printify client's timeout is
 * short here (10 s by default) so that "slow" and "accepted, then timed out" take a second or two.
 */
export const PRINTIFY_TIMEOUT_MS = 1000;

let env: ReliabilityEnv | undefined;
beforeAll(async () => {
  env = await startReliabilityEnv({ PRINTIFY_TIMEOUT_MS: String(PRINTIFY_TIMEOUT_MS) });
}, 120_000);
afterAll(() => stopReliabilityEnv(env));

faultCases(() => {
  if (!env) throw new Error('the pipeline did not start');
  return env;
});
