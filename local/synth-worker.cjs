// Synthesizes the local stack (local/stack-template.ts synthesizeTemplate) in a worker thread, so
// that `npm start`'s main thread keeps showing progress during CDK's synchronous synth.
'use strict';
const { parentPort, workerData } = require('node:worker_threads');
const { register } = require('tsx/cjs/api');

register();
try {
  const { synthesizeTemplate } = require('./stack-template.ts');
  parentPort.postMessage({ ok: true, template: synthesizeTemplate(workerData.context) });
} catch (error) {
  parentPort.postMessage({ ok: false, message: error?.stack || String(error) });
}
