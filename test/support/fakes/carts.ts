import type { CartsPort } from '../../../lambdas/ports/carts';

/** A cart line as the storefront writes it (updatedAt ISO; absent on lines older than the field). */
export interface MemoryCartLine {
  productId: string;
  variantId: string;
  quantity: number;
  updatedAt?: string;
}

/** The carts in memory: a line is removed only if unchanged since the checkout, as the DynamoDB one. */
export class MemoryCarts implements CartsPort {
  readonly lines = new Map<string, MemoryCartLine>();

  async put(userId: string, line: MemoryCartLine): Promise<void> {
    this.lines.set(`${userId}#${line.productId}#${line.variantId}`, { ...line });
  }

  async removeLineIfUnchangedSince(userId: string, productId: string, variantId: string, notChangedAfter: string): Promise<boolean> {
    const key = `${userId}#${productId}#${variantId}`;
    const line = this.lines.get(key);
    if (!line || (line.updatedAt !== undefined && line.updatedAt > notChangedAfter)) return false;
    this.lines.delete(key);
    return true;
  }

  /** The user's lines as `<productId>/<variantId>`, sorted. */
  linesOf(userId: string): string[] {
    return [...this.lines.keys()]
      .filter((key) => key.startsWith(`${userId}#`))
      .map((key) => key.slice(userId.length + 1).replace('#', '/'))
      .sort();
  }
}
