// The local API gateway in its own process for the bench's HTTP case and the soak (PostgREST
// is a separate process too): started by workloads.mjs with fork(), reports its URL over IPC.
'use strict';
const env = require('../../supabase/local/env.cjs');
const { startGateway } = require('../../supabase/local/gateway.cjs');

startGateway({
  databaseUrl: process.env.BENCH_GATEWAY_DB,
  jwtSecret: env.JWT_SECRET,
  anonKey: env.ANON_KEY,
  serviceRoleKey: env.SERVICE_ROLE_KEY,
  poolSize: Number(process.env.BENCH_GATEWAY_POOL ?? 10),
  port: Number(process.env.BENCH_GATEWAY_PORT ?? 0),
  functionsUrl: process.env.BENCH_GATEWAY_FUNCTIONS || undefined,
}).then((gateway) => {
  process.send({ url: gateway.url });
  const stop = () => gateway.close().finally(() => process.exit(0));
  process.on('SIGTERM', stop);
  process.on('disconnect', stop);
}, (e) => {
  process.send({ error: String(e && e.stack || e) });
  process.exit(1);
});
