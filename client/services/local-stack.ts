/**
 * Defaults for the local Supabase stack. Both the build (config/index.ts) and jest use
 * them when nothing else is configured. The anon key is the demo key every local Supabase
 * stack ships (role anon, issuer supabase-demo): public by design, useless in production,
 * where TARO_APP_SUPABASE_ANON_KEY supplies the project's own.
 */
export const LOCAL_SUPABASE_URL = 'http://127.0.0.1:54321'

export const LOCAL_ANON_KEY =
  'eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJpc3MiOiJzdXBhYmFzZS1kZW1vIiwicm9sZSI6ImFub24iLCJleHAiOjE5ODM4MTI5OTZ9.CRXP1A7WOeoJeXxjNni43kdQwgnWNReilDMblYTn_I0'
