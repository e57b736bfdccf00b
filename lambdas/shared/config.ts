import * as z from 'zod';

/** A Lambda's configuration is read once, at cold start; a bad value fails loudly and says which. */
export function loadConfig<T extends z.ZodType>(schema: T, env: NodeJS.ProcessEnv = process.env): z.infer<T> {
  const result = schema.safeParse(env);
  if (!result.success) {
    const problems = result.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
    throw new Error(`invalid configuration: ${problems}`);
  }
  return result.data;
}

export const tableName = z.string().min(1);
export const jsonObject = z.string().optional();
