#!/usr/bin/env node
import { App } from 'aws-cdk-lib';
import { defineApp } from '../lib/app';
import { StageConfigError } from '../lib/config/stages';

// `cdk synth|deploy -c stage=<staging|production>`: the stage's values are in lib/config/stages.ts.
try {
  defineApp(new App());
} catch (error) {
  if (!(error instanceof StageConfigError)) throw error;
  console.error(`cdk: ${error.message}`);
  process.exit(1);
}
