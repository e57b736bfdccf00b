import { App, Validations } from 'aws-cdk-lib';
import { projectContext } from '../../lib/config/cdk-context';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import { Topic } from 'aws-cdk-lib/aws-sns';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { IConstruct } from 'constructs';
import { OtakumoriStack } from '../../lib/otakumori-stack';
import { TEST_STACK_PROPS } from '../fixtures/stack-props';
import { NAG_REASONS } from '../../lib/nag-acknowledgements';

function stack(env?: { account: string; region: string }): OtakumoriStack {
  const app = new App({ context: { ...projectContext(), 'aws:cdk:bundling-stacks': [] } });
  return new OtakumoriStack(app, 'Test', { ...TEST_STACK_PROPS, ...(env ? { env } : {}) });
}

const findings = (scope: IConstruct) =>
  new AwsSolutionsChecks().validateScope(scope).violations.map((v) => ({
    rule: v.ruleName,
    resources: v.violatingResources.map((r) => (r as { constructPath?: string }).constructPath ?? r.resourceLogicalId),
  }));

const acknowledgements = (scope: IConstruct) =>
  scope.node
    .findAll()
    .flatMap((c) => c.node.metadata.filter((m) => m.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY))
    .flatMap((m) =>
      Object.entries(m.data as Record<string, string>).map(([id, reason]) => ({ id: id.replace(/^Annotation::/, ''), reason })),
    );

let pipeline: OtakumoriStack;
beforeAll(() => {
  pipeline = stack();
});

describe('cdk-nag AwsSolutions', () => {
  it('finds nothing that is not acknowledged', () => {
    expect(findings(pipeline)).toEqual([]);
  });

  it('finds nothing that is not acknowledged when the stage names its account and region (ARNs written out, as cdk synth does)', () => {
    expect(findings(stack({ account: '123456789012', region: 'us-east-1' }))).toEqual([]);
  });

  it('holds no acknowledgement without its reason, and none for a whole rule family on the stack', () => {
    const s = pipeline;
    const acks = acknowledgements(s);
    expect(acks.length).toBeGreaterThan(0);
    for (const ack of acks) {
      expect(ack.id).toMatch(/^AwsSolutions-/);
      expect(Object.values(NAG_REASONS)).toContain(ack.reason);
      expect(ack.reason.length).toBeGreaterThan(60);
    }
    expect(s.node.metadata.filter((m) => m.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY)).toEqual([]);
  });

  it('acknowledges exactly: managed logging policy, X-Ray and log delivery "*", Lambda qualifiers, SES identities, third-party secrets, signed webhook routes', () => {
    const ids = new Set(acknowledgements(pipeline).map((a) => a.id.replace(/\[.*$/, '')));
    expect([...ids].sort()).toEqual(['AwsSolutions-APIG4', 'AwsSolutions-IAM4', 'AwsSolutions-IAM5', 'AwsSolutions-SMG4']);
  });

  it('still reports a new finding: a wildcard added to a function, or an unencrypted topic', () => {
    const s = stack();
    const fn = s.node.findAll().find((c) => c.node.id === 'CartFunction') as unknown as { addToRolePolicy(p: PolicyStatement): void };
    fn.addToRolePolicy(new PolicyStatement({ actions: ['dynamodb:*'], resources: ['arn:aws:dynamodb:eu-west-1:123456789012:table/x'] }));
    new Topic(s, 'Unencrypted');
    const rules = findings(s).map((f) => f.rule);
    expect(rules).toEqual(expect.arrayContaining(['AwsSolutions-IAM5[Action::dynamodb:*]', 'AwsSolutions-SNS3']));
  });
});
