/** Jest runs the TypeScript sources as native ES modules (swc strips the types). */
export default {
  testEnvironment: 'node',
  extensionsToTreatAsEsm: ['.ts'],
  transform: {
    '^.+\\.ts$': [
      '@swc/jest',
      { jsc: { parser: { syntax: 'typescript' }, target: 'es2023' }, module: { type: 'es6' } },
    ],
  },
  testMatch: ['<rootDir>/test/**/*.test.ts'],
  setupFiles: ['<rootDir>/test/helpers/no-network.ts'],
  // Records of blocked outbound connections (asserted empty at the end) and Debian's Chromium for the HTML report test.
  globalSetup: '<rootDir>/test/helpers/global-setup.ts',
  globalTeardown: '<rootDir>/test/helpers/global-teardown.ts',
  // Each test file parses the FHIR R4 definitions again (~95 MB of JSON; jest gives every file a fresh module
  // registry): 3-7 s per file on a 2-core machine shared with other work, and more in a beforeAll that also loads
  // the IG packages. 30 s hooks timed out under load; this bound only catches hangs, it measures nothing.
  testTimeout: 120000,
  // ESM test files under --experimental-vm-modules keep their module graphs alive in the worker: a long suite ran a
  // worker out of heap (4 GB). Two workers that are replaced once they idle above this size keep it bounded.
  maxWorkers: 2,
  workerIdleMemoryLimit: '1200MB',
};
