import type { ProductMapping } from '../../lambdas/domain/order';

/**
 * Product mappings from an operator's file: JSON (an array of mappings, or {"mappings": [...]}) or
 * CSV with a header row. Field names in camelCase or snake_case:
 * productId/product_id, variantId/variant_id, printifyProductId/printify_product_id,
 * printifyVariantId/printify_variant_id. Every row is checked before anything is written.
 */
export class MappingFileError extends Error {
  override readonly name = 'MappingFileError';
}

const FIELDS = ['productId', 'variantId', 'printifyProductId', 'printifyVariantId'] as const;
const snake = (field: string) => field.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);

/** One mapping from loose values; the problems found, if any. */
export function toMapping(raw: Record<string, unknown>, where: string): ProductMapping {
  const value = (field: (typeof FIELDS)[number]) => {
    const v = raw[field] ?? raw[snake(field)];
    return typeof v === 'number' ? String(v) : typeof v === 'string' ? v.trim() : '';
  };
  const problems: string[] = [];
  for (const field of FIELDS) if (!value(field)) problems.push(`${field} is missing`);
  const variant = value('printifyVariantId');
  if (variant && !/^\d+$/.test(variant))
    problems.push(`printifyVariantId must be a whole number (Printify's variant id), got "${variant}"`);
  if (problems.length > 0) throw new MappingFileError(`${where}: ${problems.join('; ')}`);
  return {
    productId: value('productId'),
    variantId: value('variantId'),
    printifyProductId: value('printifyProductId'),
    printifyVariantId: Number(variant),
  };
}

/** Splits one CSV line (quotes with "" escapes, commas inside quotes). */
function csvCells(line: string): string[] {
  const cells: string[] = [];
  let cell = '';
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (quoted) {
      if (c === '"' && line[i + 1] === '"') {
        cell += '"';
        i++;
      } else if (c === '"') quoted = false;
      else cell += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      cells.push(cell);
      cell = '';
    } else cell += c;
  }
  cells.push(cell);
  return cells.map((c) => c.trim());
}

export function parseMappingsCsv(text: string, name = 'CSV'): ProductMapping[] {
  const lines = text
    .split(/\r?\n/)
    .map((line, i) => ({ line, number: i + 1 }))
    .filter(({ line }) => line.trim() && !line.trim().startsWith('#'));
  const header = lines.shift();
  if (!header) throw new MappingFileError(`${name}: empty`);
  const columns = csvCells(header.line);
  const errors: string[] = [];
  const mappings: ProductMapping[] = [];
  for (const { line, number } of lines) {
    const cells = csvCells(line);
    try {
      mappings.push(toMapping(Object.fromEntries(columns.map((c, i) => [c, cells[i] ?? ''])), `${name} line ${number}`));
    } catch (error) {
      errors.push((error as Error).message);
    }
  }
  if (errors.length > 0) throw new MappingFileError(errors.join('\n'));
  return mappings;
}

export function parseMappingsJson(text: string, name = 'JSON'): ProductMapping[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new MappingFileError(`${name}: not JSON (${(error as Error).message})`);
  }
  const rows = Array.isArray(parsed) ? parsed : (parsed as { mappings?: unknown } | null)?.mappings;
  if (!Array.isArray(rows)) throw new MappingFileError(`${name}: expected an array of mappings, or {"mappings": [...]}`);
  const errors: string[] = [];
  const mappings: ProductMapping[] = [];
  rows.forEach((row, i) => {
    try {
      if (typeof row !== 'object' || row === null) throw new MappingFileError(`${name} entry ${i}: not an object`);
      mappings.push(toMapping(row as Record<string, unknown>, `${name} entry ${i}`));
    } catch (error) {
      errors.push((error as Error).message);
    }
  });
  if (errors.length > 0) throw new MappingFileError(errors.join('\n'));
  return mappings;
}

/** By the file's extension (.json, .csv); otherwise by its first character. */
export function parseMappingsFile(name: string, text: string): ProductMapping[] {
  if (/\.json$/i.test(name)) return parseMappingsJson(text, name);
  if (/\.csv$/i.test(name)) return parseMappingsCsv(text, name);
  return /^\s*[[{]/.test(text) ? parseMappingsJson(text, name) : parseMappingsCsv(text, name);
}
