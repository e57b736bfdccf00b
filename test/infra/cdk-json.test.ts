import { projectContext } from '../../lib/config/cdk-context';

/** What `cdk init` writes for the installed aws-cdk-lib. */
const recommended = require('aws-cdk-lib/recommended-feature-flags.json') as Record<string, unknown>;

/** Deliberate differences, each explained in docs/deploy.md. */
const DEVIATIONS: Record<string, unknown> = {
  '@aws-cdk/core:target-partitions': ['aws'],
  '@aws-cdk/core:enableAdditionalMetadataCollection': false,
};

test('cdk.json carries every feature flag cdk init writes for the installed aws-cdk-lib, at its recommended value', () => {
  const context = projectContext();
  for (const [flag, value] of Object.entries(recommended)) {
    const expected = flag in DEVIATIONS ? DEVIATIONS[flag] : value;
    expect({ flag, value: context[flag] }).toEqual({ flag, value: expected });
  }
});

test('validation against CloudFormation default template rules is on (a finding fails the synth)', () => {
  expect(projectContext()['@aws-cdk/core:validateAgainstDefaultRules']).toBe(true);
});
