// ESM view of env.cjs (the settings of the local stack live there, usable from jest too).
import env from './env.cjs';

export const {
  LOCAL_DIR,
  JWT_SECRET,
  ANON_KEY,
  SERVICE_ROLE_KEY,
  PG_PORT,
  API_PORT,
  FUNCTIONS_PORT,
  WECHAT_FAKE_PORT,
  H5_PORT,
  PG_SUPERUSER,
  PG_PASSWORD,
  AUTHENTICATOR_PASSWORD,
  databaseUrl,
  authenticatorUrl,
  ROOT,
} = env;
