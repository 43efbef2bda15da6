// Middy ships ES modules only, so the tests run as ES modules too: ts-jest with useESM, and npm test sets NODE_OPTIONS=--experimental-vm-modules.
/** @type {import('jest').Config} */
export default {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  extensionsToTreatAsEsm: ['.ts'],
  moduleNameMapper: {
    '^(\\.{1,2}/.*)\\.js$': '$1',
  },
  transform: {
    '^.+\\.ts$': ['ts-jest', { useESM: true, tsconfig: 'tsconfig.json' }],
  },
  globalSetup: '<rootDir>/test/setup/start-dynamodb.mjs',
  globalTeardown: '<rootDir>/test/setup/stop-dynamodb.mjs',
  testTimeout: 30000,
};
