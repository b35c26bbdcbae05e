// Jest in ESM mode with swc for TypeScript (see ../shared/style.md). Unit tests sit beside their source;
// end-to-end scenarios that spawn the built CLI live in test/e2e.
export default {
  testEnvironment: 'node',
  extensionsToTreatAsEsm: ['.ts', '.tsx'],
  transform: { '^.+\\.tsx?$': ['@swc/jest', { jsc: { target: 'es2022', parser: { syntax: 'typescript', tsx: true }, transform: { react: { runtime: 'automatic' } } }, module: { type: 'es6' } }] },
  moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
  testMatch: ['<rootDir>/packages/*/src/**/*.test.ts', '<rootDir>/packages/*/src/**/*.test.tsx', '<rootDir>/test/**/*.test.ts'],
  testTimeout: 120000,
  maxWorkers: 2,
};
