import { readFileSync } from 'node:fs';
import * as path from 'node:path';

/**
 * The context of cdk.json: the feature flags `cdk init` writes for the installed aws-cdk-lib
 * (node_modules/aws-cdk-lib/recommended-feature-flags.json), with validation against CloudFormation's
 * default rules on. The CLI passes it to `cdk synth`; the local runtime and the tests pass it to
 * their own App, so that all three synthesize the same template.
 */
export function projectContext(): Record<string, unknown> {
  const cdkJson = JSON.parse(readFileSync(path.join(__dirname, '..', '..', 'cdk.json'), 'utf8')) as { context?: Record<string, unknown> };
  return cdkJson.context ?? {};
}
