import { DeleteCommand, QueryCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { CART_PREFIX, keys } from '../domain/keys';
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

  async lines(userId: string): Promise<CartLine[]> {
    const { Items } = await this.db.send(
      new QueryCommand({
        TableName: this.tableName,
        KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
        ExpressionAttributeValues: { ':pk': `USER#${userId}`, ':prefix': CART_PREFIX },
        ConsistentRead: true,
      }),
    );
    return (Items ?? []) as CartLine[];
  }
}
