// One local "Lambda container": a worker thread with the function's own environment, which loads
// the handler source (TypeScript, through tsx) on the first invocation — its cold start — and then
// serves invocations like the Lambda runtime does: the result as JSON, or errorType/errorMessage.
// A container that replaces an older one (a hot reload) is asked to load the handler at once.
'use strict';
const { parentPort, workerData } = require('node:worker_threads');

// tsx compiles with esbuild. By default esbuild's sync API runs its own worker thread that keeps an
// esbuild child process; when this thread is terminated (a reload, a scale-down, stop), that child
// is never reaped and stays a zombie. Without worker threads each transform is one esbuild run
// that is waited for (and tsx caches its output, so only changed files are compiled again). The
// variable is read once, when esbuild loads: it is not left in the handler's environment.
const hadEsbuildSetting = 'ESBUILD_WORKER_THREADS' in process.env;
if (!hadEsbuildSetting) process.env.ESBUILD_WORKER_THREADS = '0';
require(require.resolve('esbuild', { paths: [require.resolve('tsx/cjs/api')] }));
if (!hadEsbuildSetting) delete process.env.ESBUILD_WORKER_THREADS;
const { register } = require('tsx/cjs/api');

register();

let handler;
function loadHandler() {
  if (!handler) {
    const mod = require(workerData.entryPath);
    handler = mod[workerData.handlerName];
    if (typeof handler !== 'function') {
      throw Object.assign(new Error(`${workerData.entryPath} exports no function ${workerData.handlerName}`), {
        name: 'Runtime.HandlerNotFound',
      });
    }
  }
  return handler;
}

parentPort.on('message', async (message) => {
  const { id, event, deadlineMs, requestId } = message;
  if (message.load) {
    // a reload: load the handler now, so that code that does not load never replaces working code
    try {
      loadHandler();
      parentPort.postMessage({ id, ok: true, result: null });
    } catch (error) {
      parentPort.postMessage({ id, ok: false, error: describe(error) });
    }
    return;
  }
  const context = {
    functionName: workerData.functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: workerData.functionArn,
    memoryLimitInMB: '512',
    awsRequestId: requestId,
    logGroupName: `/aws/lambda/${workerData.functionName}`,
    logStreamName: 'local',
    callbackWaitsForEmptyEventLoop: true,
    getRemainingTimeInMillis: () => Math.max(0, deadlineMs - Date.now()),
    done() {},
    fail() {},
    succeed() {},
  };
  // the handler's own run, from its start to its answer: what Lambda bills as duration (an
  // invocation that waited for this thread before it started is not billed; the cold import is)
  const started = performance.now();
  const durationMs = () => performance.now() - started;
  try {
    const result = await loadHandler()(event, context);
    parentPort.postMessage({
      id,
      ok: true,
      durationMs: durationMs(),
      result: result === undefined ? null : JSON.parse(JSON.stringify(result)),
    });
  } catch (error) {
    parentPort.postMessage({ id, ok: false, durationMs: durationMs(), error: describe(error) });
  }
});

function describe(error) {
  return {
    errorType: error?.name || 'Error',
    errorMessage: error?.message || String(error),
    trace: error?.stack ? String(error.stack).split('\n') : [],
  };
}
