import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { defineApp } from '../../lib/app';
import { projectContext } from '../../lib/config/cdk-context';
import { LOCAL_STAGE, STAGES, StageConfigError, loadStageConfig, type StageConfigInput } from '../../lib/config/stages';
import { synthesizeTemplate } from '../../local/stack-template';
import { COMPLETE_STAGES } from '../fixtures/stack-props';

/** CloudFormation JSON is untyped. */
type Json = any;

/** The deployable app for `-c stage=<stage>`, synthesized without bundling. */
function synthStage(stage: string | undefined, stages = COMPLETE_STAGES): Template {
  const app = new App({ context: { ...projectContext(), 'aws:cdk:bundling-stacks': [], ...(stage === undefined ? {} : { stage }) } });
  return Template.fromStack(defineApp(app, stages));
}

/** Every metric an alarm reads, as "namespace|name|dim=value,…", business metrics only (namespace Otakumori). */
function businessAlarmMetrics(template: Template): { key: string; dimensions: Record<string, unknown> }[] {
  const found: { key: string; dimensions: Record<string, unknown> }[] = [];
  const add = (metric: Json) => {
    if (metric?.Namespace !== 'Otakumori') return;
    const dimensions = Object.fromEntries((metric.Dimensions as Json[]).map((d) => [d.Name, d.Value]));
    const dims = Object.entries(dimensions)
      .map(([k, v]) => `${k}=${JSON.stringify(v)}`)
      .sort()
      .join(',');
    found.push({ key: `${metric.Namespace}|${metric.MetricName}|${dims}`, dimensions });
  };
  for (const alarm of Object.values(template.findResources('AWS::CloudWatch::Alarm')) as Json[]) {
    add(alarm.Properties);
    for (const m of alarm.Properties.Metrics ?? []) add(m.MetricStat?.Metric);
  }
  return found;
}

describe('stage configuration (lib/config/stages.ts, -c stage=…)', () => {
  it('fails the synth when no stage is selected, saying how to select one', () => {
    expect(() => synthStage(undefined)).toThrow(StageConfigError);
    expect(() => synthStage(undefined)).toThrow(/-c stage=<staging\|production>/);
  });

  it('fails the synth for an unknown stage', () => {
    expect(() => synthStage('prod')).toThrow(/unknown stage "prod": choose one of staging, production/);
  });

  it('fails the synth naming each missing value, never deploying a placeholder', () => {
    const incomplete = {
      ...COMPLETE_STAGES,
      production: { ...COMPLETE_STAGES.production, printifyShopId: undefined, stripeLivemode: undefined },
    };
    expect(() => synthStage('production', incomplete)).toThrow(
      /^stage production: printifyShopId: required; stripeLivemode: required \(set in lib\/config\/stages\.ts/,
    );
  });

  it('takes an unset shop id or sender from the synth context, never over a value the repository sets', () => {
    const unset = { ...COMPLETE_STAGES, staging: { ...COMPLETE_STAGES.staging, printifyShopId: undefined } };
    expect(loadStageConfig('staging', unset, { printifyShopId: '424242' }).printifyShopId).toBe('424242');
    expect(loadStageConfig('staging', COMPLETE_STAGES, { printifyShopId: '424242' }).printifyShopId).toBe(
      COMPLETE_STAGES.staging.printifyShopId,
    );
    expect(() => loadStageConfig('staging', unset)).toThrow(/printifyShopId: required .*-c printifyShopId=/);
  });

  it("rejects an example sender and a shop id that is not Printify's", () => {
    const wrong = {
      ...COMPLETE_STAGES,
      staging: { ...COMPLETE_STAGES.staging, emailFrom: 'orders@otakumori.example', printifyShopId: 'SET-ME' },
    };
    expect(() => loadStageConfig('staging', wrong)).toThrow(/printifyShopId: Printify's numeric shop id.*emailFrom: a real sender/);
  });

  it("sizes the pacer from the stage's quotas: printifyRateLimitPerMinute and sesMaxSendRate, defaults 600 and 14", () => {
    const paced = (stages: Record<'staging' | 'production', StageConfigInput>, stage: 'staging' | 'production') => {
      const functions = Object.values(synthStage(stage, stages).findResources('AWS::Lambda::Function')) as Json[];
      const env = (entry: string) => functions.find((f) => f.Metadata?.['otakumori:entry'] === entry).Properties.Environment.Variables;
      const fulfilment = env('lambdas/fulfilment/handler.ts');
      return {
        printify: fulfilment.PRINTIFY_PACE_LIMIT,
        printifyWindowMs: fulfilment.PRINTIFY_PACE_WINDOW_MS,
        ses: fulfilment.SES_PACE_LIMIT,
        sesWindowMs: fulfilment.SES_PACE_WINDOW_MS,
        email: env('lambdas/email/handler.ts').SES_PACE_LIMIT,
      };
    };
    expect(paced(COMPLETE_STAGES, 'staging')).toEqual({
      printify: '600',
      printifyWindowMs: '60000',
      ses: '14',
      sesWindowMs: '1000',
      email: '14',
    });
    const raised = {
      ...COMPLETE_STAGES,
      production: { ...COMPLETE_STAGES.production, printifyRateLimitPerMinute: 1200, sesMaxSendRate: 50 },
    };
    expect(paced(raised, 'production')).toEqual({
      printify: '1200',
      printifyWindowMs: '60000',
      ses: '50',
      sesWindowMs: '1000',
      email: '50',
    });
    for (const bad of [{ printifyRateLimitPerMinute: 0 }, { printifyRateLimitPerMinute: 12.5 }, { sesMaxSendRate: -1 }]) {
      expect(() => loadStageConfig('production', { ...COMPLETE_STAGES, production: { ...COMPLETE_STAGES.production, ...bad } })).toThrow(
        StageConfigError,
      );
    }
  });

  it("names what the repository's own stages still lack (if anything) instead of synthesizing them", () => {
    for (const stage of ['staging', 'production'] as const) {
      const missing = Object.entries(STAGES[stage])
        .filter(([, value]) => value === undefined)
        .map(([key]) => key);
      if (missing.length === 0) expect(() => loadStageConfig(stage)).not.toThrow();
      else for (const key of missing) expect(() => loadStageConfig(stage)).toThrow(`${key}: required`);
    }
  });
});

describe('two stages side by side in one account', () => {
  let staging: Template;
  let production: Template;
  beforeAll(() => {
    staging = synthStage('staging');
    production = synthStage('production');
  });

  it('have distinct stack names, hence distinct alarm names', () => {
    const names = (t: Template) =>
      Object.values(t.findResources('AWS::CloudWatch::Alarm')).map((a: Json) => a.Properties.AlarmName as string);
    expect(names(staging).every((n) => n.startsWith('OtakumoriOrderPipeline-staging-'))).toBe(true);
    expect(names(production).every((n) => n.startsWith('OtakumoriOrderPipeline-production-'))).toBe(true);
    expect(names(staging).filter((n) => names(production).includes(n))).toEqual([]);
  });

  it('alarm on business metrics of their own stage only: no (namespace, metric, dimensions) is shared', () => {
    const s = businessAlarmMetrics(staging);
    const p = businessAlarmMetrics(production);
    expect(s.length).toBeGreaterThan(0);
    expect(s.every((m) => m.dimensions.stage === 'staging')).toBe(true);
    expect(p.every((m) => m.dimensions.stage === 'production')).toBe(true);
    expect(s.map((m) => m.key).filter((k) => p.some((m) => m.key === k))).toEqual([]);
  });

  it("tell every function its stage (the metrics' stage dimension) and its Stripe mode", () => {
    for (const [template, stage, livemode] of [
      [staging, 'staging', 'false'],
      [production, 'production', 'true'],
    ] as const) {
      const functions = Object.values(template.findResources('AWS::Lambda::Function')).filter(
        (f: Json) => f.Metadata?.['otakumori:entry'],
      ) as Json[];
      expect(functions.length).toBe(8);
      for (const fn of functions) expect(fn.Properties.Environment.Variables.STAGE).toBe(stage);
      // the webhook and the reconciler both judge Stripe events by the stage's mode
      for (const entry of ['lambdas/webhook/handler.ts', 'lambdas/reconciler/handler.ts']) {
        const fn = functions.find((f) => f.Metadata['otakumori:entry'] === entry);
        expect({ entry, livemode: fn.Properties.Environment.Variables.STRIPE_LIVEMODE }).toEqual({ entry, livemode });
      }
    }
  });

  it('output the stage and the Printify shop id for the operator commands', () => {
    staging.hasOutput('PrintifyShopId', { Value: '1000001' });
    production.hasOutput('PrintifyShopId', { Value: '1000002' });
    production.hasOutput('Stage', { Value: 'production' });
  });

  it('carry no placeholder value', () => {
    for (const template of [staging, production]) expect(JSON.stringify(template.toJSON())).not.toMatch(/SET-|\.example"/);
  });
});

test('the local runtime synthesizes its own `local` stage without lib/config/stages.ts', () => {
  const template = synthesizeTemplate();
  const functions = Object.values(template.Resources).filter((r) => r.Type === 'AWS::Lambda::Function' && r.Metadata?.['otakumori:entry']);
  for (const fn of functions) expect((fn.Properties as Json).Environment.Variables.STAGE).toBe(LOCAL_STAGE);
});
