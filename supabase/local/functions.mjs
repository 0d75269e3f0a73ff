// ESM view of functions.cjs.
import m from './functions.cjs';

export const { startFunctions } = m;
