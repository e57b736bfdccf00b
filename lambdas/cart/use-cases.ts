import type { CartsPort } from '../ports/carts';
import type { OrdersPort } from '../ports/orders';

/** What clearPurchasedLines depends on: the order (its items and checkout time) and the carts. */
export interface CartDeps {
  orders: Pick<OrdersPort, 'require'>;
  carts: CartsPort;
}

/**
 * Removes the purchased lines from the customer's cart. A line changed after checkout (the order's
 * creation) is the customer's new intent and stays. Deleting twice is harmless: a second call
 * removes nothing. Returns the lines as `<productId>/<variantId>`; throws OrderNotFoundError for
 * an unknown order and the store's errors (retry).
 */
export async function clearPurchasedLines(deps: CartDeps, orderId: string): Promise<{ removed: string[]; kept: string[] }> {
  const order = await deps.orders.require(orderId);
  const removed: string[] = [];
  const kept: string[] = [];
  for (const item of order.items) {
    const line = `${item.productId}/${item.variantId}`;
    const wasRemoved = await deps.carts.removeLineIfUnchangedSince(order.userId, item.productId, item.variantId, order.createdAt);
    (wasRemoved ? removed : kept).push(line);
  }
  return { removed, kept };
}
