import { LOCAL_ANON_KEY, LOCAL_SUPABASE_URL } from './local-stack'

/**
 * Build-time settings (config/index.ts defineConstants), read in one place.
 * The typeof guards keep this module loadable in jest, where no bundler defines them.
 */
const configuredUrl: string = typeof SUPABASE_URL === 'string' ? SUPABASE_URL : LOCAL_SUPABASE_URL

/**
 * 'same-origin' (H5 builds served by the local stack's h5-server, which forwards /rest and
 * /functions to the gateway) means: the API lives where the page was loaded from.
 */
export const supabaseUrl: string =
  configuredUrl === 'same-origin' && typeof window !== 'undefined' && window.location
    ? window.location.origin
    : configuredUrl

export const supabaseAnonKey: string = typeof SUPABASE_ANON_KEY === 'string' ? SUPABASE_ANON_KEY : LOCAL_ANON_KEY

export const localDev: boolean = typeof LOCAL_DEV === 'boolean' ? LOCAL_DEV : true

/** The WeChat build logs in with wx.login; the H5 build only has dev login (local stack). */
export const isWeapp: boolean = process.env.TARO_ENV === 'weapp'

export const functionUrl = (name: string): string => `${supabaseUrl}/functions/v1/${name}`
