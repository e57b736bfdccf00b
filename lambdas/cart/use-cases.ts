import type { CartRepository } from '../adapters/cart-repository';
import type { OrderRepository } from '../adapters/order-repository';

export interface CartDeps {
  orders: OrderRepository;
  carts: CartRepository;
}

/**
 * Removes the purchased lines from the customer's cart. A line changed after checkout (the order's
 * creation) is the customer's new intent and stays. Deleting twice is harmless.
 */
export async function clearPurchasedLines(
  deps: CartDeps,
  orderId: string,
): Promise<{ removed: string[]; kept: string[] }> {
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
