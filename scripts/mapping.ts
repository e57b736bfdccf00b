// `npm run mapping -- <command>`: our product/variant -> Printify product/variant, and the retry of
// orders that waited for a mapping. Against the local stack by default, a deployed one with --aws.
import '../local/polyfills';
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { ScanCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { createDocumentClient } from '../lambdas/adapters/dynamodb';
import { ProductMappings } from '../lambdas/adapters/product-mappings';
import { idsOfKeys } from '../lambdas/domain/keys';
import type { ProductMapping } from '../lambdas/domain/order';
import { MappingFileError, parseMappingsFile, toMapping } from './lib/mapping-file';
import { operatorTarget, TARGET_HELP } from './lib/operator-target';
import { retryMapping, type RetryMappingOptions } from './lib/retry-mapping';

const USAGE = `usage: npm run mapping -- <command> [options]

commands:
  list [--product <id>]                       every mapping (or one product's)
  set <productId> <variantId> <printifyProductId> <printifyVariantId>
                                              add or replace one mapping
  import <file.json|file.csv>                 add or replace many (checked first: all or nothing)
                                              JSON: [{"productId","variantId","printifyProductId","printifyVariantId"}]
                                              CSV:  productId,variantId,printifyProductId,printifyVariantId
  retry <orderId>                             fulfil an order waiting in pending_mapping (or
                                              fulfillment_failed) now that its mappings exist

${TARGET_HELP}`;

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    product: { type: 'string' },
    aws: { type: 'boolean', default: false },
    table: { type: 'string' },
    endpoint: { type: 'string' },
    region: { type: 'string' },
    help: { type: 'boolean', short: 'h', default: false },
  },
});

function fail(message: string, code = 2): never {
  console.error(message);
  process.exit(code);
}

function documentClient(target: RetryMappingOptions): DynamoDBDocumentClient {
  return createDocumentClient(
    new DynamoDBClient({
      ...(target.dynamodbEndpoint ? { endpoint: target.dynamodbEndpoint } : {}),
      ...(target.region ? { region: target.region } : {}),
      ...(target.credentials ? { credentials: target.credentials } : {}),
    }),
  );
}

async function listMappings(db: DynamoDBDocumentClient, tableName: string, productId?: string): Promise<ProductMapping[]> {
  const found: ProductMapping[] = [];
  let start: Record<string, unknown> | undefined;
  do {
    const page = await db.send(
      new ScanCommand({
        TableName: tableName,
        FilterExpression: productId ? 'pk = :pk AND begins_with(sk, :variant)' : 'begins_with(pk, :product) AND begins_with(sk, :variant)',
        ExpressionAttributeValues: productId
          ? { ':pk': `PRODUCT#${productId}`, ':variant': 'VARIANT#' }
          : { ':product': 'PRODUCT#', ':variant': 'VARIANT#' },
        ...(start ? { ExclusiveStartKey: start } : {}),
      }),
    );
    for (const item of page.Items ?? []) {
      // identified by its keys: a mapping written by the data model alone has no productId attribute
      const ids = idsOfKeys.productMapping(item.pk, item.sk);
      found.push({
        productId: ids?.productId ?? String(item.productId),
        variantId: ids?.variantId ?? String(item.variantId),
        printifyProductId: String(item.printifyProductId),
        printifyVariantId: Number(item.printifyVariantId),
      });
    }
    start = page.LastEvaluatedKey;
  } while (start);
  return found.sort((a, b) => a.productId.localeCompare(b.productId) || a.variantId.localeCompare(b.variantId));
}

const show = (m: ProductMapping) =>
  `${m.productId} / ${m.variantId}  ->  Printify product ${m.printifyProductId}, variant ${m.printifyVariantId}`;

async function main(): Promise<void> {
  const [command, ...args] = positionals;
  if (values.help || !command) {
    console.log(USAGE);
    process.exit(values.help ? 0 : 2);
  }
  const target = operatorTarget(values);
  const db = documentClient(target);
  const mappings = new ProductMappings(db, target.tableName);
  try {
    switch (command) {
      case 'list': {
        const all = await listMappings(db, target.tableName, values.product);
        console.log(all.length ? all.map(show).join('\n') : 'no mappings');
        console.log(`(${all.length} in ${target.tableName})`);
        break;
      }
      case 'set': {
        if (args.length !== 4) fail(`set needs 4 arguments, got ${args.length}\n\n${USAGE}`);
        const [productId, variantId, printifyProductId, printifyVariantId] = args as [string, string, string, string];
        const mapping = toMapping({ productId, variantId, printifyProductId, printifyVariantId }, 'set');
        await mappings.put(mapping);
        console.log(`set: ${show(mapping)}`);
        break;
      }
      case 'import': {
        const [file] = args;
        if (!file) fail(`import needs a file\n\n${USAGE}`);
        const parsed = parseMappingsFile(file, readFileSync(file, 'utf8'));
        for (const mapping of parsed) await mappings.put(mapping);
        console.log(`imported ${parsed.length} mapping${parsed.length === 1 ? '' : 's'} from ${file}:`);
        for (const mapping of parsed) console.log(`  ${show(mapping)}`);
        break;
      }
      case 'retry': {
        const [orderId] = args;
        if (!orderId) fail(`retry needs an order id\n\n${USAGE}`);
        const result = await retryMapping(orderId, { ...target, db });
        console.log(JSON.stringify(result, null, 2));
        if (result.outcome === 'pending_mapping') fail(`still no mapping for: ${result.missing?.join(', ')}`, 1);
        if (result.outcome === 'failed') process.exitCode = 1;
        break;
      }
      default:
        fail(`unknown command "${command}"\n\n${USAGE}`);
    }
  } finally {
    db.destroy();
  }
}

main().catch((error: unknown) => {
  if (error instanceof MappingFileError) fail(error.message);
  const message = error instanceof Error ? error.message : String(error);
  fail(
    /ECONNREFUSED|fetch failed/.test(message) ? `${message}\nis \`npm start\` running? (or use --aws for a deployed stack)` : message,
    1,
  );
});
