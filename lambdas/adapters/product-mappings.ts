import { BatchGetCommand, PutCommand, type BatchGetCommandOutput, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { keys } from '../domain/keys';
import type { ProductMapping } from '../domain/order';
import type { ProductMappingsPort } from '../ports/printify';

/** Our product/variant -> Printify product/variant. */
export class ProductMappings implements ProductMappingsPort {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async find(pairs: { productId: string; variantId: string }[]): Promise<Map<string, ProductMapping>> {
    const unique = [...new Map(pairs.map((p) => [`${p.productId}#${p.variantId}`, p])).values()];
    const found = new Map<string, ProductMapping>();
    for (let i = 0; i < unique.length; i += 100) {
      let request: Record<string, { Keys: Record<string, unknown>[]; ConsistentRead: boolean }> | undefined = {
        [this.tableName]: { Keys: unique.slice(i, i + 100).map((p) => keys.productMapping(p.productId, p.variantId)), ConsistentRead: true },
      };
      for (let round = 0; request && round < 5; round++) {
        const result: BatchGetCommandOutput = await this.db.send(new BatchGetCommand({ RequestItems: request }));
        for (const item of result.Responses?.[this.tableName] ?? []) {
          const mapping = item as ProductMapping;
          found.set(`${mapping.productId}#${mapping.variantId}`, mapping);
        }
        const unprocessed: { Keys?: Record<string, unknown>[] } | undefined = result.UnprocessedKeys?.[this.tableName];
        request = unprocessed?.Keys?.length ? { [this.tableName]: { Keys: unprocessed.Keys, ConsistentRead: true } } : undefined;
      }
      if (request) throw new Error('BatchGet left keys unprocessed after 5 rounds');
    }
    return found;
  }

  async put(mapping: ProductMapping): Promise<void> {
    await this.db.send(
      new PutCommand({ TableName: this.tableName, Item: { ...keys.productMapping(mapping.productId, mapping.variantId), ...mapping } }),
    );
  }
}
