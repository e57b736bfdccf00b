import { Validations, type App } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { loadStageConfig, type StageConfigInput } from './config/stages';
import { OtakumoriStack } from './otakumori-stack';

/**
 * The deployable app: the stage selected by context `stage` (lib/config/stages.ts), validated, as
 * one OtakumoriStack named after it, with cdk-nag's AWS Solutions checks on. Throws
 * StageConfigError (naming each missing value) when the stage is absent, unknown or incomplete;
 * `stages` replaces the repository's table (tests).
 */
export function defineApp(app: App, stages?: Readonly<Record<string, StageConfigInput>>): OtakumoriStack {
  const context = (key: string): string | undefined => {
    const value: unknown = app.node.tryGetContext(key);
    return typeof value === 'string' && value !== '' ? value : typeof value === 'number' ? String(value) : undefined;
  };
  const config = loadStageConfig(app.node.tryGetContext('stage'), stages, {
    printifyShopId: context('printifyShopId'),
    emailFrom: context('emailFrom'),
  });
  const stack = new OtakumoriStack(app, config.stackName, {
    env: { account: config.account ?? process.env.CDK_DEFAULT_ACCOUNT, region: config.region ?? process.env.CDK_DEFAULT_REGION },
    stage: config.stage,
    printifyShopId: config.printifyShopId,
    emailFrom: config.emailFrom,
    stripeLivemode: config.stripeLivemode,
    printifySendToProduction: config.printifySendToProduction,
    ...(config.printifyRateLimitPerMinute ? { printifyRateLimitPerMinute: config.printifyRateLimitPerMinute } : {}),
    ...(config.sesMaxSendRate ? { sesMaxSendRate: config.sesMaxSendRate } : {}),
    ...(config.petalRates ? { petalRates: JSON.stringify(config.petalRates) } : {}),
    ...(config.alarmEmail ? { alarmEmail: config.alarmEmail } : {}),
  });
  // cdk-nag's AWS Solutions checks run at every synth: a finding that is not acknowledged (with its
  // reason, lib/nag-acknowledgements.ts) fails `cdk synth` and `cdk deploy`.
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  return stack;
}
