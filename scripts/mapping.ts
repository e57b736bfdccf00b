// `npm run mapping -- <command>`: our product/variant -> Printify product/variant, and the retry of
// orders that waited for a mapping (`retry`: the very command `npm run ops -- retry-mapping` is).
// Against the local stack by default, a deployed stage with --stage.
import '../local/polyfills';
import { readFileSync } from 'node:fs';
import { ScanCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { ProductMappings } from '../lambdas/adapters/product-mappings';
import { idsOfKeys } from '../lambdas/domain/keys';
import type { ProductMapping } from '../lambdas/domain/order';
import { main, OpsError, runProgram, UsageError, type CommandSpec, type Io, type ProgramSpec, type RunOptions } from './cli/framework';
import { MappingFileError, parseMappingsFile, toMapping } from './lib/mapping-file';
import { retryMappingCommand } from './ops/cli';

export async function listMappings(db: DynamoDBDocumentClient, tableName: string, productId?: string): Promise<ProductMapping[]> {
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

/** A file's mappings, or the file's problems as one OpsError (a file that cannot be read, a row that is wrong). */
function mappingsOf(file: string): ProductMapping[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new OpsError(`cannot read ${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
  try {
    return parseMappingsFile(file, text);
  } catch (error) {
    if (error instanceof MappingFileError) throw new OpsError(error.message);
    throw error;
  }
}

interface Listed {
  tableName: string;
  mappings: ProductMapping[];
}

export const MAPPING_COMMANDS: Record<string, CommandSpec> = {
  list: {
    summary: "every mapping (or one product's)",
    options: [{ flags: '--product <id>', description: 'only this product' }],
    needs: 'store',
    async run(target, _args, flags): Promise<Listed> {
      const product = typeof flags.product === 'string' ? flags.product : undefined;
      return { tableName: target.tableName, mappings: await listMappings(target.db, target.tableName, product) };
    },
    text: ({ tableName, mappings }: Listed) =>
      [mappings.length ? mappings.map(show).join('\n') : 'no mappings', `(${mappings.length} in ${tableName})`].join('\n'),
  },
  set: {
    summary: 'add or replace one mapping',
    args: ['<productId>', '<variantId>', '<printifyProductId>', '<printifyVariantId>'],
    needs: 'store',
    async run(target, [productId, variantId, printifyProductId, printifyVariantId]) {
      let mapping: ProductMapping;
      try {
        mapping = toMapping({ productId, variantId, printifyProductId, printifyVariantId }, 'set');
      } catch (error) {
        // a value of the command line that is not a mapping's: bad usage, as a flag of the wrong shape
        if (error instanceof MappingFileError) throw new UsageError(error.message);
        throw error;
      }
      await new ProductMappings(target.db, target.tableName).put(mapping);
      return mapping;
    },
    text: (mapping: ProductMapping) => `set: ${show(mapping)}`,
  },
  import: {
    summary: 'add or replace many mappings from a JSON or CSV file (all checked first: all or nothing)',
    args: [{ name: '<file>', description: 'file.json or file.csv' }],
    help: `JSON: [{"productId","variantId","printifyProductId","printifyVariantId"}] (or {"mappings": [...]})
CSV:  a header row productId,variantId,printifyProductId,printifyVariantId (or snake_case)`,
    needs: 'store',
    async run(target, [file]) {
      const parsed = mappingsOf(file!);
      const mappings = new ProductMappings(target.db, target.tableName);
      for (const mapping of parsed) await mappings.put(mapping);
      return { file, mappings: parsed };
    },
    text: ({ file, mappings }: { file: string; mappings: ProductMapping[] }) =>
      [`imported ${mappings.length} mapping${mappings.length === 1 ? '' : 's'} from ${file}:`, ...mappings.map((m) => `  ${show(m)}`)].join(
        '\n',
      ),
  },
  retry: {
    ...retryMappingCommand,
    summary: `${retryMappingCommand.summary} (the same command as \`npm run ops -- retry-mapping\`)`,
  },
};

export const MAPPING: ProgramSpec = {
  name: 'npm run mapping --',
  description: 'our product/variant -> Printify product/variant, against the local stack of `npm start` or a deployed stage',
  commands: MAPPING_COMMANDS,
  help: 'Exit codes: 0 done, 1 failed (the reason in one line), 2 bad usage. "npm run mapping -- <command> --help" for each.',
};

export const runMapping = (argv: string[], io: Io, options: RunOptions = {}) => runProgram(MAPPING, argv, io, options);

if (require.main === module) main(MAPPING);
