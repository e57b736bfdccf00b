import { randomBytes } from 'node:crypto';
import { PutCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { keys } from '../../../lambdas/domain/keys';
import type { Order, OrderItem, ProductMapping } from '../../../lambdas/domain/order';

/**
 * What the storefront writes before Stripe is involved: the pending order, the cart and the
 * product mapping. Used by `npm run trigger` and the tests to set the scene.
 */
export const DEMO_ITEMS: OrderItem[] = [
  { productId: 'prod_sakura_hoodie', variantId: 'M', quantity: 1, unitAmount: 3999, title: 'Sakura Spirit Hoodie' },
  { productId: 'prod_kitsune_sticker', variantId: 'std', quantity: 2, unitAmount: 500, title: 'Kitsune Sticker' },
];

export const DEMO_MAPPINGS: ProductMapping[] = [
  { productId: 'prod_sakura_hoodie', variantId: 'M', printifyProductId: '5d39b159e7c48c000728c89f', printifyVariantId: 32918 },
  { productId: 'prod_kitsune_sticker', variantId: 'std', printifyProductId: '5d39b411749d0a000f30e0f4', printifyVariantId: 45740 },
];

export const DEMO_EMAIL = 'sakura@example.com';

export const newOrderId = () => `ord_${randomBytes(6).toString('hex')}`;
export const newUserId = () => `user_${randomBytes(4).toString('hex')}`;

export const orderTotal = (items: OrderItem[]) => items.reduce((sum, i) => sum + i.unitAmount * i.quantity, 0);

export class Storefront {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async createPendingOrder(
    options: { orderId?: string; userId?: string; email?: string; items?: OrderItem[]; currency?: string; createdAt?: Date } = {},
  ): Promise<Order> {
    const items = options.items ?? DEMO_ITEMS;
    const createdAt = (options.createdAt ?? new Date()).toISOString();
    const order: Order = {
      orderId: options.orderId ?? newOrderId(),
      userId: options.userId ?? newUserId(),
      status: 'pending',
      currency: options.currency ?? 'usd',
      amountTotal: orderTotal(items),
      // the signed-in customer's address; Checkout's own email replaces it when the session completes
      email: options.email ?? DEMO_EMAIL,
      items,
      createdAt,
      updatedAt: createdAt,
    };
    await this.db.send(new PutCommand({ TableName: this.tableName, Item: { ...keys.order(order.orderId), ...order } }));
    return order;
  }

  async putCartLine(userId: string, line: { productId: string; variantId: string; quantity: number; updatedAt?: Date }): Promise<void> {
    await this.db.send(
      new PutCommand({
        TableName: this.tableName,
        Item: {
          ...keys.cartLine(userId, line.productId, line.variantId),
          userId,
          productId: line.productId,
          variantId: line.variantId,
          quantity: line.quantity,
          updatedAt: (line.updatedAt ?? new Date()).toISOString(),
        },
      }),
    );
  }

  async putMapping(mapping: ProductMapping): Promise<void> {
    await this.db.send(new PutCommand({ TableName: this.tableName, Item: { ...keys.productMapping(mapping.productId, mapping.variantId), ...mapping } }));
  }

  /** A pending order for `items`, its cart lines (added before checkout) and their mappings. */
  async checkoutScene(options: { userId?: string; items?: OrderItem[]; mapped?: boolean; currency?: string } = {}): Promise<Order> {
    const items = options.items ?? DEMO_ITEMS;
    const userId = options.userId ?? newUserId();
    const before = new Date(Date.now() - 60_000);
    for (const item of items) await this.putCartLine(userId, { ...item, updatedAt: before });
    if (options.mapped ?? true) {
      for (const mapping of DEMO_MAPPINGS) await this.putMapping(mapping);
    }
    return this.createPendingOrder({ userId, items, ...(options.currency ? { currency: options.currency } : {}) });
  }
}
