import { createClient } from '@supabase/supabase-js'
import type { Database } from '../types/database.types'
import { configureApi } from '../services/api'
import { anonKey, functionUrl, supabaseUrl } from './env'
import { readSession, saveSession } from './session'

/**
 * The console's supabase client is built on the browser's fetch and carries the console
 * session's token (anon key when signed out); the shared typed services use it through
 * configureApi, exactly like the mini-program's Taro-based client.
 */
const client = createClient<Database>(supabaseUrl, anonKey, {
  accessToken: async () => readSession()?.access_token ?? null,
  global: { fetch: (...args) => fetch(...args) },
})

configureApi({
  client,
  fetch: (url, init) => fetch(url, init),
  functionUrl,
  anonKey,
  currentToken: async () => readSession()?.access_token ?? null,
  // a refused token cannot be renewed without the operator: back to the login page
  renewToken: async () => {
    saveSession(null)
    return null
  },
})
