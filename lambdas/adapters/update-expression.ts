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

/**
 * The condition of a compare-and-set: each attribute of `expected` has the given value, or is
 * absent when the value is undefined (`#cas0 = :cas0 AND attribute_not_exists(#cas1)`).
 */
export function expectedCondition(expected: Record<string, string | number | undefined>): {
  expression: string;
  names: Record<string, string>;
  values: Record<string, unknown>;
} {
  const entries = Object.entries(expected);
  const names = Object.fromEntries(entries.map(([name], i) => [`#cas${i}`, name]));
  const values = Object.fromEntries(entries.flatMap(([, value], i) => (value === undefined ? [] : [[`:cas${i}`, value]])));
  const expression = entries
    .map(([, value], i) => (value === undefined ? `attribute_not_exists(#cas${i})` : `#cas${i} = :cas${i}`))
    .join(' AND ');
  return { expression, names, values };
}
