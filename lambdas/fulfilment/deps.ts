import type { OrderRepository } from '../adapters/order-repository';
import type { PrintifyClient } from '../adapters/printify-client';
import type { ProductMappings } from '../adapters/product-mappings';

export interface FulfilmentDeps {
  orders: OrderRepository;
  mappings: ProductMappings;
  printify: Pick<PrintifyClient, 'createOrder' | 'findOrderByExternalId'>;
  shippingMethod: number;
  now?: () => Date;
}

export const nowIso = (deps: FulfilmentDeps) => (deps.now ?? (() => new Date()))().toISOString();

