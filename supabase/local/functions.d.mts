// ESM view of functions.d.cts (the declarations live there).
export * from './functions.cjs';
