// client/types/database.types.ts must match the migrations: regenerate with `npm run db:types`.
// The global setup runs `supabase gen types typescript --db-url` on the freshly migrated template.
import fs from 'node:fs';
import path from 'node:path';

test('generated database types are fresh', () => {
  const fresh = fs.readFileSync(process.env.REBATE_TEST_GENERATED_TYPES!, 'utf8');
  const committed = fs.readFileSync(path.join(__dirname, '../../client/types/database.types.ts'), 'utf8');
  expect(fresh).toContain('export type Database');
  if (fresh !== committed) {
    throw new Error('client/types/database.types.ts is stale: run `npm run db:types` and commit the result');
  }
});
