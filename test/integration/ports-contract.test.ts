import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { CartRepository } from '../../lambdas/adapters/cart-repository';
import { EmailOutbox } from '../../lambdas/adapters/email-outbox';
import { InvoiceRepository } from '../../lambdas/adapters/invoice-repository';
import { OrderRepository } from '../../lambdas/adapters/order-repository';
import { PetalLedger } from '../../lambdas/adapters/petal-ledger';
import { PrintifyOrderIndex } from '../../lambdas/adapters/printify-order-index';
import { ProductMappings } from '../../lambdas/adapters/product-mappings';
import { DynamoRateSlots } from '../../lambdas/adapters/rate-slots';
import { keys } from '../../lambdas/domain/keys';
import { Storefront } from '../fixtures/storefront';
import { describePortContracts, type PortsUnderTest } from '../support/contracts/ports';
import { startDynamoDbTable } from '../support/dynamodb-table';

/** The DynamoDB adapters on AWS's DynamoDB Local, the table exactly as the stack declares it, held to the fakes' contract. */
const TABLE = 'contract-orders';
let stop: (() => Promise<void>) | undefined;
let ports: PortsUnderTest;

beforeAll(async () => {
  const table = await startDynamoDbTable(TABLE);
  stop = table.stop;
  const db = table.db;
  const storefront = new Storefront(db, TABLE);
  const mappings = new ProductMappings(db, TABLE);
  ports = {
    orders: new OrderRepository(db, TABLE),
    invoices: new InvoiceRepository(db, TABLE),
    ledger: new PetalLedger(db, TABLE),
    outbox: (now) => new EmailOutbox(db, TABLE, 60_000, now),
    carts: new CartRepository(db, TABLE),
    mappings,
    index: new PrintifyOrderIndex(db, TABLE),
    rateSlots: new DynamoRateSlots(db, TABLE),
    putOrder: async (order) => void (await db.send(new PutCommand({ TableName: TABLE, Item: { ...keys.order(order.orderId), ...order } }))),
    putCartLine: (userId, line) => storefront.putCartLine(userId, { ...line, updatedAt: new Date(line.updatedAt) }),
    putMapping: (mapping) => mappings.put(mapping),
  };
}, 120_000);
afterAll(async () => {
  await stop?.();
});

describePortContracts('DynamoDB', () => ports);
