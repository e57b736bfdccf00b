/**
 * Builds `SET #a = :a REMOVE #b` for a plain record: undefined values are left alone, null values
 * remove the attribute; with onlyIfMissing, existing attributes keep their values.
 */
export function setExpression(
  values: Record<string, unknown>,
  prefix = 'v',
  options: { onlyIfMissing?: boolean } = {},
): {
  expression: string;
  names: Record<string, string>;
  values: Record<string, unknown>;
} {
  const names: Record<string, string> = {};
  const exprValues: Record<string, unknown> = {};
  const sets: string[] = [];
  const removes: string[] = [];
  Object.entries(values)
    .filter(([, value]) => value !== undefined)
    .forEach(([key, value], index) => {
      names[`#${prefix}${index}`] = key;
      if (value === null) {
        removes.push(`#${prefix}${index}`);
      } else {
        exprValues[`:${prefix}${index}`] = value;
        sets.push(
          options.onlyIfMissing
            ? `#${prefix}${index} = if_not_exists(#${prefix}${index}, :${prefix}${index})`
            : `#${prefix}${index} = :${prefix}${index}`,
        );
      }
    });
  const expression = [sets.length ? `SET ${sets.join(', ')}` : '', removes.length ? `REMOVE ${removes.join(', ')}` : '']
    .filter(Boolean)
    .join(' ');
  return { expression, names, values: exprValues };
}
