// A normalised description of what a database holds in schemas public and rebate: one text
// line per table column, constraint, index, trigger, policy, grant, function (its whole
// definition, comment and grants), type, and the reference data of the schema files. Two
// databases hold the same schema when their snapshots are equal; `diffSnapshots` says where not.
// Also builds a database straight from the schema files. Used by `npm run db:diff`,
// test/db/schema-consistency.test.ts and the local stack (migrate.mjs re-exports it).
const fs = require('node:fs');
const path = require('node:path');
const pg = require('pg');

const SCHEMA_DIR = path.join(__dirname, '../schemas');

/** The declarative schema files (supabase/schemas), in the order they are applied. */
function schemaFiles() {
  return fs.readdirSync(SCHEMA_DIR).filter((f) => f.endsWith('.sql')).sort().map((f) => path.join(SCHEMA_DIR, f));
}

/**
 * Builds the database straight from supabase/schemas, file by file in order (what the
 * migrations must add up to). Function bodies are checked when first called (as pg_dump's
 * output does), so a file may call a function that a later file defines.
 */
async function applySchemas(url) {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query('set check_function_bodies = false');
    for (const file of schemaFiles()) {
      try {
        await client.query(fs.readFileSync(file, 'utf8'));
      } catch (e) {
        throw new Error(`supabase/schemas/${path.basename(file)}: ${e.message}`);
      }
    }
  } finally {
    await client.end();
  }
}

const SCHEMAS = `('public', 'rebate')`;

// Rows that the schema files themselves insert (docs/database.md, "Reference data").
const REFERENCE_DATA = [
  `select 'data rebate.setting_fields ' || to_jsonb(x)::text from rebate.setting_fields x`,
  `select 'data rebate.ledger_reasons ' || to_jsonb(x)::text from rebate.ledger_reasons x`,
  `select 'data rebate.member_levels ' || (to_jsonb(x) - 'created_at')::text from rebate.member_levels x`,
  `select 'data rebate.queues ' || (to_jsonb(x) - 'created_at')::text from rebate.queues x`,
  `select 'data rebate.settings ' || (to_jsonb(x) - 'clearing_since' - 'updated_at')::text from rebate.settings x`,
  `select 'data rebate.rule_fields ' || to_jsonb(x)::text from rebate.rule_fields x`,
  `select 'data rebate.staff_roles ' || (to_jsonb(x) - 'id' - 'granted_at')::text from rebate.staff_roles x`,
];

// privileges in a stable order (GRANT order does not matter)
const sortedAcl = (col) => `array(select x::text from unnest(${col}) x order by 1)`;

const CATALOG = [
  // columns
  `select format('column %s.%s.%s %s null=%s default=%s identity=%s', n.nspname, c.relname, a.attname,
                 format_type(a.atttypid, a.atttypmod), not a.attnotnull, pg_get_expr(d.adbin, d.adrelid), a.attidentity)
     from pg_attribute a join pg_class c on c.oid = a.attrelid join pg_namespace n on n.oid = c.relnamespace
     left join pg_attrdef d on d.adrelid = a.attrelid and d.adnum = a.attnum
    where n.nspname in ${SCHEMAS} and c.relkind in ('r', 'v', 'm', 'c', 'p') and a.attnum > 0 and not a.attisdropped`,
  // tables: kind, row level security, options, privileges, comment
  `select format('relation %s.%s kind=%s rls=%s force=%s options=%s acl=%s comment=%s', n.nspname, c.relname, c.relkind,
                 c.relrowsecurity, c.relforcerowsecurity, c.reloptions, ${sortedAcl('c.relacl')}, obj_description(c.oid, 'pg_class'))
     from pg_class c join pg_namespace n on n.oid = c.relnamespace
    where n.nspname in ${SCHEMAS} and c.relkind in ('r', 'v', 'm', 'p', 'S', 'c')`,
  `select format('constraint %s.%s %s %s', n.nspname, c.relname, k.conname, pg_get_constraintdef(k.oid))
     from pg_constraint k join pg_class c on c.oid = k.conrelid join pg_namespace n on n.oid = c.relnamespace
    where n.nspname in ${SCHEMAS}`,
  `select format('index %s', pg_get_indexdef(i.indexrelid))
     from pg_index i join pg_class c on c.oid = i.indrelid join pg_namespace n on n.oid = c.relnamespace
    where n.nspname in ${SCHEMAS}`,
  `select format('trigger %s', pg_get_triggerdef(t.oid))
     from pg_trigger t join pg_class c on c.oid = t.tgrelid join pg_namespace n on n.oid = c.relnamespace
    where n.nspname in ${SCHEMAS} and not t.tgisinternal`,
  `select format('policy %s.%s %s %s %s roles=%s using=%s check=%s', schemaname, tablename, policyname, permissive, cmd,
                 roles, qual, with_check)
     from pg_policies where schemaname in ${SCHEMAS}`,
  // a function's header (arguments, result, volatility, security, settings) and its body's hash
  `select format('function %s acl=%s comment=%s', p.oid::regprocedure, ${sortedAcl('p.proacl')}, obj_description(p.oid, 'pg_proc'))
     from pg_proc p join pg_namespace n on n.oid = p.pronamespace where n.nspname in ${SCHEMAS}`,
  `select format('function %s definition md5=%s', p.oid::regprocedure, md5(pg_get_functiondef(p.oid)))
     from pg_proc p join pg_namespace n on n.oid = p.pronamespace where n.nspname in ${SCHEMAS}`,
  `select format('type %s.%s %s', n.nspname, t.typname, t.typtype)
     from pg_type t join pg_namespace n on n.oid = t.typnamespace
    where n.nspname in ${SCHEMAS} and t.typtype in ('c', 'e', 'd')
      and not exists (select 1 from pg_class c where c.oid = t.typrelid and c.relkind <> 'c')`,
  `select format('schema %s acl=%s', nspname, ${sortedAcl('nspacl')}) from pg_namespace where nspname = 'rebate'`,
];

/** The snapshot of the database at `url`: sorted lines. */
async function schemaSnapshot(url) {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const lines = [];
    for (const sql of [...CATALOG, ...REFERENCE_DATA]) {
      const { rows } = await client.query({ text: sql, rowMode: 'array' });
      for (const [line] of rows) lines.push(line);
    }
    return lines.sort();
  } finally {
    await client.end();
  }
}

/** Lines only in `a` (prefixed '-') and only in `b` (prefixed '+'); empty when equal. */
function diffSnapshots(a, b) {
  const inA = new Set(a);
  const inB = new Set(b);
  return [...a.filter((l) => !inB.has(l)).map((l) => `- ${l}`), ...b.filter((l) => !inA.has(l)).map((l) => `+ ${l}`)];
}

module.exports = { schemaFiles, applySchemas, schemaSnapshot, diffSnapshots };
