/**
 * Globals the WeChat runtime lacks, injected into mini builds by the ProvidePlugin in
 * config/index.ts (free `Headers` / `URL` identifiers in any module resolve here).
 * This module must not use those identifiers itself: they would point back at it.
 */
export { TaroHeaders as Headers } from './headers'
export { TaroURL as URL } from './url'
