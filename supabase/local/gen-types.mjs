// `npm run db:types`: regenerates client/types/database.types.ts from the migrations, using a
// scratch database on the embedded test server (or DATABASE_URL), so it never touches your data.
import fs from 'node:fs';
import path from 'node:path';
import { LOCAL_DIR, ROOT } from './env.mjs';
import { startPostgres } from './postgres.mjs';
import { applyBootstrap, applyMigrations, createDatabase, generateTypes, withDatabase } from './migrate.mjs';

const OUT = path.join(ROOT, 'client/types/database.types.ts');
let server = null;
let admin = process.env.DATABASE_URL;
if (!admin) {
  server = await startPostgres({ dataDir: path.join(LOCAL_DIR, 'types-pg'), port: Number(process.env.REBATE_TYPES_PG_PORT ?? 54330), fast: true });
  admin = server.url('postgres');
}
try {
  await createDatabase(admin, 'rebate_types_scratch');
  const url = withDatabase(admin, 'rebate_types_scratch');
  await applyBootstrap(url);
  await applyMigrations(url);
  fs.writeFileSync(OUT, await generateTypes(url));
  console.log(`wrote ${path.relative(ROOT, OUT)}`);
} finally {
  if (server) await server.stop();
}
