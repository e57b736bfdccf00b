import { z } from 'zod';

/**
 * Where the pipeline is deployed, per stage, kept in the repository so that every `cdk deploy` of a
 * stage ships the same values (context flags on one deploy and not the next used to reset them).
 * `cdk synth|deploy -c stage=<name>` selects one; `loadStageConfig` validates it at synth and names
 * every missing or invalid value. The local runtime (`npm start`, tests) synthesizes the `local`
 * stage from local/stack-template.ts with its own values, not from this file.
 *
 * Both stages can live side by side in one account: each has its own stack name (hence its own
 * resource names and alarm names) and its own `stage` metric dimension.
 */

/** The stages that `-c stage=` accepts. */
export const STAGE_NAMES = ['staging', 'production'] as const;
export type StageName = (typeof STAGE_NAMES)[number];

/** The runtime-only stage of `npm start` and the tests (local/stack-template.ts). */
export const LOCAL_STAGE = 'local';

const stageConfigSchema = z.object({
  /** CloudFormation stack name; every resource and alarm name derives from it */
  stackName: z.string().regex(/^[A-Za-z][A-Za-z0-9-]{0,127}$/, 'a CloudFormation stack name (letters, digits, hyphens)'),
  /** AWS account and region to deploy to; omitted: the CLI's credentials and region */
  account: z
    .string()
    .regex(/^\d{12}$/, 'a 12-digit AWS account id')
    .optional(),
  region: z.string().min(1).optional(),
  /** Printify shop that receives the orders: GET /v1/shops.json lists yours (a number) */
  printifyShopId: z.string().regex(/^\d+$/, "Printify's numeric shop id (GET https://api.printify.com/v1/shops.json)"),
  /** SES-verified sender of the customer emails */
  emailFrom: z
    .email('an email address verified in SES')
    .refine(
      (address) => !/@([a-z0-9-]+\.)*(example|invalid|test|localhost|local)$/i.test(address),
      'a real sender, not a reserved example domain',
    ),
  /**
   * Whether this stage takes live-mode Stripe events (true) or test-mode events (false); an event of
   * the other mode is answered 400 "livemode mismatch". Explicit on purpose: no default.
   */
  stripeLivemode: z.boolean(),
  /**
   * Send each new Printify order to production at once (true), or leave it on hold for the shop's
   * own approval (false: e.g. staging, so that test orders are never printed).
   */
  printifySendToProduction: z.boolean(),
  /** Printify's API limit for the shop, requests a minute (omitted: 600, Printify's published limit) */
  printifyRateLimitPerMinute: z.number().int().positive().optional(),
  /** the SES account's maximum send rate, emails a second (omitted: 14, a new production account's) */
  sesMaxSendRate: z.number().positive().optional(),
  /** petals per unit of each currency, e.g. { usd: 1 }; omitted: the domain's defaults */
  petalRates: z.record(z.string().regex(/^[a-z]{3}$/), z.number().nonnegative()).optional(),
  /** subscribed to the alarm topic; confirm the subscription from the mail */
  alarmEmail: z.email().optional(),
});

/** One stage's validated configuration. */
export type StageConfig = z.infer<typeof stageConfigSchema> & { readonly stage: string };

/** What this file may leave unset for a stage (a value still to fill in fails the synth, by name). */
export type StageConfigInput = {
  readonly [K in keyof z.input<typeof stageConfigSchema>]?: z.input<typeof stageConfigSchema>[K] | undefined;
};

/**
 * The stages. A value left `undefined` is one the shop must fill in before that stage can be
 * synthesized: the synth fails and names it (e.g. `stage production: printifyShopId: required`).
 */
export const STAGES: Record<StageName, StageConfigInput> = {
  staging: {
    stackName: 'OtakumoriOrderPipeline-staging',
    // the Printify shop and the SES sender of this stage: fill in before the first deploy
    printifyShopId: undefined,
    emailFrom: undefined,
    stripeLivemode: false,
    printifySendToProduction: false,
    petalRates: { usd: 1 },
  },
  production: {
    stackName: 'OtakumoriOrderPipeline-production',
    // the Printify shop and the SES sender of this stage: fill in before the first deploy
    printifyShopId: undefined,
    emailFrom: undefined,
    stripeLivemode: true,
    printifySendToProduction: true,
    petalRates: { usd: 1 },
    // alarmEmail: the on-call address subscribed to the alarm topic (optional; recommended here)
  },
};

/** The synth cannot go on: the message names the stage and every value to fix, and where. */
export class StageConfigError extends Error {
  override readonly name = 'StageConfigError';
}

/**
 * The validated configuration of `stage` (from `-c stage=<name>`). Throws StageConfigError when no
 * stage or an unknown one is selected, or when a value is missing or invalid (all of them named,
 * with the file to edit). `stages` is the table to read (default STAGES; tests pass their own).
 */
export function loadStageConfig(
  stage: unknown,
  stages: Readonly<Record<string, StageConfigInput>> = STAGES,
  unsetValues: Pick<StageConfigInput, 'printifyShopId' | 'emailFrom'> = {},
): StageConfig {
  const names = Object.keys(stages);
  if (stage === undefined || stage === '') {
    throw new StageConfigError(
      `no stage selected: pass -c stage=<${names.join('|')}> to cdk synth/deploy (stages are in lib/config/stages.ts)`,
    );
  }
  const kept = typeof stage === 'string' && Object.hasOwn(stages, stage) ? stages[stage] : undefined;
  // A value the repository leaves unset may come from the synth's context (-c printifyShopId=…),
  // for one synth (a review, a first try); a value the repository sets always wins, so a later
  // deploy without the flag can never silently change what is deployed.
  const input = kept && {
    ...kept,
    printifyShopId: kept.printifyShopId ?? unsetValues.printifyShopId,
    emailFrom: kept.emailFrom ?? unsetValues.emailFrom,
  };
  if (!input) throw new StageConfigError(`unknown stage "${String(stage)}": choose one of ${names.join(', ')} (lib/config/stages.ts)`);
  const result = stageConfigSchema.safeParse(input);
  if (!result.success) {
    const problems = result.error.issues.map((issue) => {
      const key = issue.path.join('.');
      return input[issue.path[0] as keyof StageConfigInput] === undefined ? `${key}: required` : `${key}: ${issue.message}`;
    });
    throw new StageConfigError(
      `stage ${stage}: ${problems.join('; ')} (set in lib/config/stages.ts; an unset printifyShopId or emailFrom may also be given for one synth with -c printifyShopId=… -c emailFrom=…)`,
    );
  }
  return { ...result.data, stage: stage as string };
}
