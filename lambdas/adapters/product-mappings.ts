import { BatchGetCommand, PutCommand, type BatchGetCommandOutput, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { idsOfKeys, keys } from '../domain/keys';
import type { ProductMapping } from '../domain/order';
import type { ProductMappingsPort } from '../ports/printify';

/**
 * A mapping item as the data model documents it: the ids from its keys (pk `PRODUCT#<productId>`,
 * sk `VARIANT#<variantId>`), `printifyProductId` (string) and `printifyVariantId` (a number, or a
 * string of digits as a spreadsheet or the console may write it). Undefined for an item without a
 * usable Printify product or variant: the order waits in pending_mapping, as for a missing one.
 */
function toMapping(item: Record<string, unknown>): ProductMapping | undefined {
  const ids = idsOfKeys.productMapping(item.pk, item.sk);
  const printifyProductId = item.printifyProductId;
  const variant = item.printifyVariantId;
  const printifyVariantId = typeof variant === 'string' && /^\d+$/.test(variant.trim()) ? Number(variant.trim()) : variant;
  if (
    !ids ||
    typeof printifyProductId !== 'string' ||
    printifyProductId === '' ||
    typeof printifyVariantId !== 'number' ||
    !Number.isInteger(printifyVariantId)
  ) {
    return undefined;
  }
  return { ...ids, printifyProductId, printifyVariantId };
}

/**
 * Our product/variant -> Printify product/variant. `find` reads the documented attributes only
 * (README, Data model): the product and variant ids come from the item's keys.
 */
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
        [this.tableName]: {
          Keys: unique.slice(i, i + 100).map((p) => keys.productMapping(p.productId, p.variantId)),
          ConsistentRead: true,
        },
      };
      for (let round = 0; request && round < 5; round++) {
        const result: BatchGetCommandOutput = await this.db.send(new BatchGetCommand({ RequestItems: request }));
        for (const item of result.Responses?.[this.tableName] ?? []) {
          const mapping = toMapping(item);
          if (mapping) found.set(`${mapping.productId}#${mapping.variantId}`, mapping);
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
