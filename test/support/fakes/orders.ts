import { InvalidInputError, OrderNotFoundError } from '../../../lambdas/domain/errors';
import type { Order } from '../../../lambdas/domain/order';
import { statusesThatMayBecome, type OrderStatus } from '../../../lambdas/domain/order-status';
import type { OrderChanges, OrdersPort, ParcelFields, TransitionGuard, TransitionResult } from '../../../lambdas/ports/orders';

type StoredOrder = Order & Record<string, unknown>;

/**
 * The orders port in memory, with the DynamoDB adapter's semantics (the port contract checks
 * both): every guarded change tests its condition and writes in one step (JavaScript runs it
 * without interleaving, as DynamoDB runs one conditional write), status changes follow the
 * transition table, null removes an attribute, reads return copies.
 */
export class MemoryOrders implements OrdersPort {
  readonly items = new Map<string, StoredOrder>();

  constructor(private readonly now: () => Date = () => new Date()) {}

  /** What the storefront writes: the order as given (a test's scene). */
  async put(order: Order): Promise<void> {
    this.items.set(order.orderId, structuredClone(order) as StoredOrder);
  }

  /** The stored order with every attribute the use cases add (printifyErrors, shippedAt, …), for assertions. */
  async read(orderId: string): Promise<StoredOrder> {
    return structuredClone(this.stored(orderId));
  }

  async get(orderId: string): Promise<Order | undefined> {
    const order = this.items.get(orderId);
    return order && structuredClone(order);
  }

  async require(orderId: string): Promise<Order> {
    const order = await this.get(orderId);
    if (!order) throw new OrderNotFoundError(orderId);
    return order;
  }

  /** A scan standing in for the sparse GSI byPaymentIntent (the real one is eventually consistent). */
  async findOrderIdByPaymentIntent(paymentIntentId: string): Promise<string | undefined> {
    return [...this.items.values()].find((order) => order.paymentIntentId === paymentIntentId)?.orderId;
  }

  async transition(orderId: string, to: OrderStatus, changes: OrderChanges = {}, guard: TransitionGuard = {}): Promise<TransitionResult> {
    const from = statusesThatMayBecome(to);
    if (from.length === 0) throw new InvalidInputError(`no order may become ${to}`);
    const since = guard.notRetriedAfter;
    const updated = this.updateIf(
      orderId,
      { ...changes, status: to },
      (order) =>
        from.includes(order.status) && (since === undefined || order.retriedAt === undefined || (order.retriedAt as string) <= since),
    );
    return updated ? { transitioned: true, order: updated } : { transitioned: false, order: await this.require(orderId) };
  }

  async set(orderId: string, changes: OrderChanges): Promise<Order> {
    return this.updateIf(orderId, changes, () => true)!;
  }

  async fillMissing(orderId: string, changes: OrderChanges): Promise<void> {
    const order = this.stored(orderId);
    const given = Object.entries(changes).filter(([, value]) => value !== undefined && value !== null);
    if (given.length === 0) return;
    // as the adapter's if_not_exists: the order is stamped updated even when everything was there
    this.updateIf(orderId, Object.fromEntries(given.filter(([key]) => order[key] === undefined)), () => true);
  }

  async compareAndSet(
    orderId: string,
    expected: Record<string, string | number | undefined>,
    changes: OrderChanges,
  ): Promise<Order | undefined> {
    return this.updateIf(orderId, changes, (order) => Object.entries(expected).every(([name, value]) => order[name] === value));
  }

  async recordPrintifyStatusIfNewer(orderId: string, printifyStatus: string, at: string): Promise<boolean> {
    return (
      this.updateIf(orderId, { printifyStatus, printifyStatusAt: at }, (order) => {
        const shown = order.printifyStatusAt as string | undefined;
        return shown === undefined || shown <= at;
      }) !== undefined
    );
  }

  async showNewerParcel(orderId: string, parcel: ParcelFields): Promise<Order | undefined> {
    return this.updateIf(orderId, { ...parcel }, (order) => {
      const shown = order.shippedAt as string | undefined;
      return !parcel.shippedAt || shown === undefined || shown <= parcel.shippedAt;
    });
  }

  private stored(orderId: string): StoredOrder {
    const order = this.items.get(orderId);
    if (!order) throw new OrderNotFoundError(orderId);
    return order;
  }

  /** OrderNotFound when absent; undefined when `holds` does not; else the order after the changes. */
  private updateIf(orderId: string, changes: OrderChanges, holds: (order: StoredOrder) => boolean): Order | undefined {
    const order = this.stored(orderId);
    if (!holds(order)) return undefined;
    for (const [key, value] of Object.entries({ ...changes, updatedAt: this.now().toISOString() })) {
      if (value === null) delete order[key];
      else if (value !== undefined) order[key] = structuredClone(value);
    }
    return structuredClone(order);
  }
}
