import { PrintifyApiError, type CreatePrintifyOrderRequest, type PrintifyOrder } from '../../../lambdas/adapters/printify-client';
import type { ProductMapping } from '../../../lambdas/domain/order';
import type { PrintifyApi, PrintifyOrderIndexPort, ProductMappingsPort } from '../../../lambdas/ports/printify';
import { PrintifyLookupPaused } from '../../../lambdas/ports/printify';

/** The product mappings in memory. */
export class MemoryProductMappings implements ProductMappingsPort {
  readonly items = new Map<string, ProductMapping>();

  async put(mapping: ProductMapping): Promise<void> {
    this.items.set(`${mapping.productId}#${mapping.variantId}`, { ...mapping });
  }

  async find(pairs: { productId: string; variantId: string }[]): Promise<Map<string, ProductMapping>> {
    const found = new Map<string, ProductMapping>();
    for (const { productId, variantId } of pairs) {
      const mapping = this.items.get(`${productId}#${variantId}`);
      if (mapping) found.set(`${productId}#${variantId}`, { ...mapping });
    }
    return found;
  }
}

/** Printify's order id -> ours, in memory. */
export class MemoryPrintifyOrderIndex implements PrintifyOrderIndexPort {
  readonly items = new Map<string, string>();

  async record(printifyOrderId: string, orderId: string): Promise<void> {
    this.items.set(printifyOrderId, orderId);
  }

  async orderIdOf(printifyOrderId: string): Promise<string | undefined> {
    return this.items.get(printifyOrderId);
  }
}

type Method = keyof PrintifyApi;

/**
 * Printify's Orders API in memory: orders are created on hold with ids pf_1, pf_2…, found by
 * external_id, sent to production (a second send is refused as Printify refuses an order no
 * longer on hold). `faults[method]` are thrown, one per call, before the call does anything;
 * `lost` makes the next create succeed at Printify and still throw (an answer lost on the way).
 * `calls` lists every call by method name.
 */
export class FakePrintify implements PrintifyApi {
  readonly orders: (PrintifyOrder & { request: CreatePrintifyOrderRequest; createdAt: string })[] = [];
  readonly calls: Method[] = [];
  readonly faults: Partial<Record<Method, Error[]>> = {};
  lost: Error | undefined;

  constructor(private readonly now: () => Date = () => new Date()) {}

  async createOrder(request: CreatePrintifyOrderRequest): Promise<{ id: string }> {
    this.call('createOrder');
    const id = `pf_${this.orders.length + 1}`;
    this.orders.push({
      id,
      status: 'on-hold',
      external_id: request.external_id,
      request,
      createdAt: this.now().toISOString(),
    } as FakePrintify['orders'][number]);
    const lost = this.lost;
    this.lost = undefined;
    if (lost) throw lost;
    return { id };
  }

  /**
   * When set, a lookup with a deadline reads at most this many pages of 10 (Printify's page size,
   * newest first) per call and then pauses as the client does when its deadline passes.
   */
  pagesBeforeDeadline: number | undefined;

  async findOrderByExternalId(
    externalId: string,
    options: { createdSince?: string; fromPage?: number; deadline?: number } = {},
  ): Promise<PrintifyOrder | undefined> {
    this.call('findOrderByExternalId');
    const newestFirst = [...this.orders].reverse().filter((order) => !options.createdSince || order.createdAt >= options.createdSince);
    const fromPage = options.fromPage ?? 1;
    const lastPage = Math.max(1, Math.ceil(newestFirst.length / 10));
    for (let page = fromPage; page <= lastPage; page += 1) {
      if (options.deadline !== undefined && this.pagesBeforeDeadline !== undefined && page - fromPage >= this.pagesBeforeDeadline) {
        throw new PrintifyLookupPaused(page);
      }
      const found = newestFirst.slice((page - 1) * 10, page * 10).find((order) => order.external_id === externalId);
      if (found) return found;
    }
    return undefined;
  }

  async sendToProduction(printifyOrderId: string): Promise<void> {
    this.call('sendToProduction');
    const order = this.orders.find((o) => o.id === printifyOrderId);
    if (!order) throw new Error(`no Printify order ${printifyOrderId}`);
    if (order.status !== 'on-hold') {
      const path = `/v1/shops/1/orders/${printifyOrderId}/send_to_production.json`;
      throw new PrintifyApiError({
        message: 'HTTP 400: Order is not on hold',
        kind: 'http',
        method: 'POST',
        path,
        status: 400,
        retryable: false,
        fieldErrors: [],
      });
    }
    order.status = 'sending-to-production';
  }

  /** As Printify: only an on-hold or payment-not-received order is canceled; any other is a 400. */
  async cancelOrder(printifyOrderId: string): Promise<void> {
    this.call('cancelOrder');
    const order = this.orders.find((o) => o.id === printifyOrderId);
    if (!order) throw new Error(`no Printify order ${printifyOrderId}`);
    if (order.status !== 'on-hold' && order.status !== 'payment-not-received') {
      const path = `/v1/shops/1/orders/${printifyOrderId}/cancel.json`;
      throw new PrintifyApiError({
        message: `HTTP 400: Order with status ${order.status} can not be canceled.`,
        kind: 'http',
        method: 'POST',
        path,
        status: 400,
        retryable: false,
        fieldErrors: [],
      });
    }
    order.status = 'canceled';
  }

  async getOrder(printifyOrderId: string): Promise<PrintifyOrder> {
    this.call('getOrder');
    const order = this.orders.find((o) => o.id === printifyOrderId);
    if (!order) throw new Error(`no Printify order ${printifyOrderId}`);
    return order;
  }

  private call(method: Method): void {
    this.calls.push(method);
    const fault = this.faults[method]?.shift();
    if (fault) throw fault;
  }
}
