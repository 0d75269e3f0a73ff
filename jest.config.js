/** One jest run for every layer: unit, db (SQL as each role), api (supabase-js over the gateway),
 *  functions (Deno), weapp (the real build in a vm), e2e (the H5 build in Chromium).
 *  The functions layer imports the local stack's ES modules, so jest runs with
 *  --experimental-vm-modules (test/run.mjs sets it). */
const common = {
  testEnvironment: 'node',
  moduleNameMapper: { '^@/(.*)$': '<rootDir>/client/$1' },
};

module.exports = {
  testTimeout: 60000,
  maxWorkers: process.env.JEST_MAX_WORKERS ?? 2,
  projects: [
    {
      ...common,
      displayName: 'main',
      roots: ['<rootDir>/test'],
      testMatch: ['<rootDir>/test/**/*.test.ts?(x)'],
      testPathIgnorePatterns: ['/node_modules/', '<rootDir>/test/functions/'],
      transform: {
        '^.+\\.tsx?$': ['ts-jest', { tsconfig: '<rootDir>/test/tsconfig.json' }],
      },
      globalSetup: '<rootDir>/test/setup/global-setup.mjs',
      globalTeardown: '<rootDir>/test/setup/global-teardown.mjs',
    },
    {
      ...common,
      displayName: 'functions',
      globalSetup: '<rootDir>/test/setup/global-setup.mjs',
      globalTeardown: '<rootDir>/test/setup/global-teardown.mjs',
      testMatch: ['<rootDir>/test/functions/**/*.test.ts'],
      extensionsToTreatAsEsm: ['.ts'],
      transform: {
        '^.+\\.ts$': ['ts-jest', {
          useESM: true,
          tsconfig: { target: 'es2022', module: 'esnext', moduleResolution: 'bundler', strict: true, esModuleInterop: true, types: ['node', 'jest'] },
        }],
      },
    },
  ],
};
