import { DeleteCommand, QueryCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { CART_PREFIX, idsOfKeys, keys } from '../domain/keys';
import type { CartsPort } from '../ports/carts';
import { isConditionFailure } from './dynamodb';

export interface CartLine {
  userId: string;
  productId: string;
  variantId: string;
  quantity: number;
  updatedAt?: string;
}

/** The carts port on DynamoDB: a conditional DeleteItem per line. */
export class CartRepository implements CartsPort {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async removeLineIfUnchangedSince(userId: string, productId: string, variantId: string, notChangedAfter: string): Promise<boolean> {
    try {
      await this.db.send(
        new DeleteCommand({
          TableName: this.tableName,
          Key: keys.cartLine(userId, productId, variantId),
          ConditionExpression: 'attribute_exists(pk) AND (attribute_not_exists(updatedAt) OR updatedAt <= :checkout)',
          ExpressionAttributeValues: { ':checkout': notChangedAfter },
        }),
      );
      return true;
    } catch (error) {
      if (isConditionFailure(error)) return false;
      throw error;
    }
  }

  /**
   * The user's cart lines, identified by their keys (pk `USER#<userId>`, sk
   * `CART#<productId>#<variantId>`): a line written with only `quantity` (the data model) is read
   * with its ids from the key; `productId`/`variantId` attributes, where a line has them, win
   * (they are unambiguous when a product id contains `#`).
   */
  async lines(userId: string): Promise<CartLine[]> {
    const { Items } = await this.db.send(
      new QueryCommand({
        TableName: this.tableName,
        KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
        ExpressionAttributeValues: { ':pk': `USER#${userId}`, ':prefix': CART_PREFIX },
        ConsistentRead: true,
      }),
    );
    return (Items ?? []).map((item) => {
      const ids = idsOfKeys.cartLine(item.sk);
      const line: CartLine = {
        userId,
        productId: typeof item.productId === 'string' ? item.productId : (ids?.productId ?? ''),
        variantId: typeof item.variantId === 'string' ? item.variantId : (ids?.variantId ?? ''),
        quantity: typeof item.quantity === 'number' ? item.quantity : Number(item.quantity),
      };
      if (typeof item.updatedAt === 'string') line.updatedAt = item.updatedAt;
      return line;
    });
  }
}
