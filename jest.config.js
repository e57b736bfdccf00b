/**
 * One jest project per test tier, so that each tier runs alone (`npm run test:unit` is unit +
 * use-case, well under a minute) and `npm test` runs them all:
 *
 * - unit:        pure domain rules, parsers, handlers with their dependencies faked (no I/O)
 * - usecase:     every use case through in-memory ports (test/support/fakes), plus the port contract
 * - infra:       CDK assertions on the synthesized stack, cdk-nag
 * - integration: the DynamoDB adapters and the local services on DynamoDB Local (the same port
 *                contract as the use-case tier runs against the fakes)
 * - e2e:         the whole local stack over HTTP
 * - reliability: load, duplicate storms and faults (small size here; full with test:reliability)
 */
const { existsSync } = require('node:fs');
const path = require('node:path');

const swc = ['@swc/jest', { jsc: { target: 'es2022', parser: { syntax: 'typescript' } }, module: { type: 'commonjs' } }];

const common = {
  testEnvironment: 'node',
  transform: {
    '^.+\\.ts$': swc,
    // @middy/core ships only ES modules; compiled here so that a unit test can import a handler
    '/node_modules/@middy/.+\\.js$': ['@swc/jest', { jsc: { target: 'es2022' }, module: { type: 'commonjs' } }],
  },
  transformIgnorePatterns: ['/node_modules/(?!@middy/)'],
  setupFiles: ['<rootDir>/local/polyfills.ts'],
};

const tier = (name) => ({
  ...common,
  displayName: name,
  rootDir: __dirname,
  roots: [`<rootDir>/test/${name}`],
  testMatch: ['**/*.test.ts'],
});

module.exports = {
  // a tier without a folder yet (no tests) is left out: jest refuses a root that does not exist
  projects: ['unit', 'usecase', 'infra', 'integration', 'e2e', 'reliability']
    .filter((name) => existsSync(path.join(__dirname, 'test', name)))
    .map(tier),
  testTimeout: 60000,
  reporters: ['default', '<rootDir>/test/support/summary-reporter.cjs'],
};
