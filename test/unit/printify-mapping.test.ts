import { MappingFileError, parseMappingsCsv, parseMappingsFile, parseMappingsJson } from '../../scripts/lib/mapping-file';

describe('mapping files', () => {
  it('reads CSV with a header in any column order, camelCase or snake_case, quotes and comments', () => {
    const csv = [
      '# exported from the storefront',
      'printify_variant_id,product_id,variant_id,printify_product_id',
      '32918,prod_sakura_hoodie,M,5d39b159e7c48c000728c89f',
      '45740,"prod_kitsune_sticker","std, glossy",5d39b411749d0a000f30e0f4',
      '',
    ].join('\r\n');
    expect(parseMappingsCsv(csv)).toEqual([
      { productId: 'prod_sakura_hoodie', variantId: 'M', printifyProductId: '5d39b159e7c48c000728c89f', printifyVariantId: 32918 },
      {
        productId: 'prod_kitsune_sticker',
        variantId: 'std, glossy',
        printifyProductId: '5d39b411749d0a000f30e0f4',
        printifyVariantId: 45740,
      },
    ]);
  });

  it('reads JSON as an array or {"mappings": [...]}, with numbers or strings', () => {
    const one = { productId: 'p', variantId: 'v', printifyProductId: 'pp', printifyVariantId: '12' };
    expect(parseMappingsJson(JSON.stringify([one]))).toEqual([{ ...one, printifyVariantId: 12 }]);
    expect(parseMappingsFile('m.json', JSON.stringify({ mappings: [{ ...one, printifyVariantId: 12 }] }))).toEqual([
      { ...one, printifyVariantId: 12 },
    ]);
  });

  it('reports every bad row with its line, and writes nothing from a file with one', () => {
    const csv = 'productId,variantId,printifyProductId,printifyVariantId\np1,v1,pp1,1\np2,,pp2,abc\n';
    expect(() => parseMappingsFile('m.csv', csv)).toThrow(MappingFileError);
    expect(() => parseMappingsFile('m.csv', csv)).toThrow('m.csv line 3: variantId is missing; printifyVariantId must be a whole number');
    expect(() => parseMappingsJson('{"x":1}')).toThrow(/expected an array/);
    expect(() => parseMappingsJson('nope')).toThrow(/not JSON/);
  });

  it('guesses the format of a file without a known extension', () => {
    expect(
      parseMappingsFile('mappings.txt', '[{"productId":"p","variantId":"v","printifyProductId":"x","printifyVariantId":3}]'),
    ).toHaveLength(1);
    expect(parseMappingsFile('mappings.txt', 'productId,variantId,printifyProductId,printifyVariantId\np,v,x,3')).toHaveLength(1);
  });
});
