/** Jest runs the TypeScript sources as native ES modules (swc strips the types). */
export default {
  testEnvironment: 'node',
  extensionsToTreatAsEsm: ['.ts'],
  transform: {
    '^.+\\.ts$': ['@swc/jest', { jsc: { parser: { syntax: 'typescript' }, target: 'es2023' }, module: { type: 'es6' } }],
  },
  testMatch: ['<rootDir>/test/**/*.test.ts'],
  setupFiles: ['<rootDir>/test/helpers/no-network.ts'],
  testTimeout: 30000,
  // ESM test files under --experimental-vm-modules keep their module graphs alive in the worker: a long suite ran a
  // worker out of heap (4 GB). Two workers that are replaced once they idle above this size keep it bounded.
  maxWorkers: 2,
  workerIdleMemoryLimit: '1200MB',
};
