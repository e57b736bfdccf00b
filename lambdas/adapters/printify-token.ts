import { type RotatingSecret, withSecret } from '../shared/secrets';
import { PrintifyApiError, type PrintifyClient } from './printify-client';

/** The Printify calls the fulfilment use cases make. */
export type PrintifyOrderApi = Pick<
  PrintifyClient,
  'createOrder' | 'findOrderByExternalId' | 'sendToProduction' | 'getOrder' | 'cancelOrder'
>;

/** Printify answered 401: the token is wrong, revoked or rotated (https://developers.printify.com/#authentication). */
export const isUnauthorized = (error: unknown): boolean => error instanceof PrintifyApiError && error.status === 401;

/**
 * A Printify client whose token comes from a RotatingSecret: each call uses the cached token (read
 * again after the cache's TTL); a call that Printify answers 401 reads the token once more and, if
 * it changed, is made once again with the new one (a 401 means Printify did nothing, so a repeated
 * create cannot double an order). Any other outcome, or a 401 with an unchanged token, is the
 * call's own: it resolves or throws as the client's method does. `create` builds a client for a
 * token; the last one is kept while the token stays the same.
 */
export function printifyWithRotatingToken(token: RotatingSecret, create: (token: string) => PrintifyOrderApi): PrintifyOrderApi {
  let last: { token: string; client: PrintifyOrderApi } | undefined;
  const clientFor = (value: string): PrintifyOrderApi => {
    if (last?.token !== value) last = { token: value, client: create(value) };
    return last.client;
  };
  const call = <T>(use: (client: PrintifyOrderApi) => Promise<T>): Promise<T> =>
    withSecret(token, (value) => use(clientFor(value)), { error: isUnauthorized });
  return {
    createOrder: (request) => call((client) => client.createOrder(request)),
    findOrderByExternalId: (externalId, options) => call((client) => client.findOrderByExternalId(externalId, options)),
    sendToProduction: (id) => call((client) => client.sendToProduction(id)),
    getOrder: (id) => call((client) => client.getOrder(id)),
    cancelOrder: (id) => call((client) => client.cancelOrder(id)),
  };
}
