// The class lives in the domain (lambdas/domain/errors.ts) beside the other typed errors, so that
// the retry table (lambdas/domain/retry-policy.ts) is keyed by it; this module keeps its old name.
export { PrintifyUnavailableError } from '../domain/errors';
