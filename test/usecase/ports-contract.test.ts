import { describePortContracts } from '../support/contracts/ports';
import { MemoryEmailOutbox, memoryPorts } from '../support/fakes';

// The in-memory fakes the use-case tier runs on hold to the same contract as the DynamoDB adapters
// (test/integration/ports-contract.test.ts).
const ports = memoryPorts();
describePortContracts('in memory', () => ({
  ...ports,
  outbox: (now) => new MemoryEmailOutbox(now),
  putOrder: (order) => ports.orders.put(order),
  putCartLine: (userId, line) => ports.carts.put(userId, line),
  putMapping: (mapping) => ports.mappings.put(mapping),
}));
