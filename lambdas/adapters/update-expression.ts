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
 * The update of a fillMissing: `SET` each given attribute only where the item has none
 * (if_not_exists), and `updatedAt` always. Null and undefined values are left out, since filling
 * never removes (as the ports' contract says). `fills` counts the attributes it may fill: 0 means
 * the update would only stamp `updatedAt`.
 */
export function fillMissingExpression(
  values: Record<string, unknown>,
  updatedAt: string,
): { expression: string; names: Record<string, string>; values: Record<string, unknown>; fills: number } {
  const given = Object.fromEntries(Object.entries(values).filter(([, value]) => value !== undefined && value !== null));
  const fill = setExpression(given, 'm', { onlyIfMissing: true });
  const stamp = setExpression({ updatedAt }, 'u');
  return {
    expression: fill.expression ? `${fill.expression}, ${stamp.expression.slice('SET '.length)}` : stamp.expression,
    names: { ...fill.names, ...stamp.names },
    values: { ...fill.values, ...stamp.values },
    fills: Object.keys(given).length,
  };
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
