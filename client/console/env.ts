import { LOCAL_ANON_KEY } from '../services/local-stack'

/**
 * Build-time settings of the console (config/console.vite.ts `define`). 'same-origin': the API
 * lives where the console was loaded from (the local stack's H5 server forwards /rest and
 * /functions to the gateway; in production the console is served beside the project's API proxy).
 */
declare const __CONSOLE_SUPABASE_URL__: string
declare const __CONSOLE_ANON_KEY__: string
declare const __CONSOLE_LOCAL_DEV__: boolean

const configured = typeof __CONSOLE_SUPABASE_URL__ === 'string' ? __CONSOLE_SUPABASE_URL__ : 'same-origin'
export const supabaseUrl: string = configured === 'same-origin' ? window.location.origin : configured.replace(/\/+$/, '')
export const anonKey: string = typeof __CONSOLE_ANON_KEY__ === 'string' ? __CONSOLE_ANON_KEY__ : LOCAL_ANON_KEY
/** Local stack: the login page also offers the demo members' dev login. */
export const localDev: boolean = typeof __CONSOLE_LOCAL_DEV__ === 'boolean' ? __CONSOLE_LOCAL_DEV__ : true
export const functionUrl = (name: string): string => `${supabaseUrl}/functions/v1/${name}`
