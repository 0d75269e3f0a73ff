// The local API gateway: a small stand-in for Kong + PostgREST that speaks exactly the
// part of the PostgREST contract supabase-js uses for RPC (see docs/gateway.md and
// ../shared/POSTGREST-RPC.md), plus /functions/v1/<name> proxied to the Deno functions.
// It exists only so the local stack behaves like Supabase; production uses the real thing.
'use strict';
const http = require('node:http');
const crypto = require('node:crypto');
const pg = require('pg');
const { functionsPath, upstreamOrigin } = require('./forward-path.cjs');

const EXPOSED_SCHEMA = 'public';
const API_ROLES = new Set(['anon', 'authenticated', 'service_role']);
const JWT_SKEW_SECONDS = 30;
const DEFAULT_MAX_BODY_BYTES = 1024 * 1024;
// Postgres parses JSON recursively: ~50,000 nested arrays exhaust its stack (54001, HTTP 500).
// Deeper bodies (and GET argument values) are refused before they reach it.
const DEFAULT_MAX_JSON_DEPTH = 512;
const RESERVED_QUERY_KEYS = new Set(['select', 'columns', 'on_conflict']);
const RESERVED_SUFFIXES = ['order', 'limit', 'offset', 'and', 'or'];

// ------------------------------------------------------------------ errors

class GatewayError extends Error {
  constructor(status, code, message, { details = null, hint = null, headers = {}, kong = false } = {}) {
    super(message);
    Object.assign(this, { status, code, details, hint, headers, kong });
  }
}

/** An answer of Kong itself (key-auth), which has only a message: {"message": "…"}. */
const kongError = (status, message) => new GatewayError(status, null, message, { kong: true });

/** PostgREST's SQLSTATE → HTTP status mapping (POSTGREST-RPC.md §6). */
function statusForSqlState(code, message, authenticated) {
  if (!code) return 500;
  if (/^PT\d{3}$/.test(code)) return Number(code.slice(2));
  if (code.startsWith('PT')) return 500;
  if (code === 'P0001') return 400;
  if (code === '23503' || code === '23505') return 409;
  if (code === '25006') return 405;
  if (code === '42501') return authenticated ? 403 : 401;
  if (code === '42883' || code === '42P01') return 404;
  if (code === '42P17') return 500;
  if (code === '21000') return /requires a WHERE clause$/.test(message ?? '') ? 400 : 500;
  if (code === '22023') return /^role .* does not exist$/.test(message ?? '') ? 401 : 400;
  if (code === '53400') return 500;
  const two = code.slice(0, 2);
  if (['0L', '0P', '28'].includes(two)) return 403;
  if (two === '08' || two === '53' || code === '57P01') return 503;
  if (['40', '57', '09', '25', '2D', '38', '39', '3B', '54', '55', '58', 'F0', 'HV', 'P0', 'XX'].includes(two)) return 500;
  return 400;
}

function sendJson(res, status, body, headers = {}) {
  const text = body === undefined ? '' : JSON.stringify(body);
  res.writeHead(status, {
    ...(text ? { 'Content-Type': 'application/json; charset=utf-8', 'Content-Length': Buffer.byteLength(text) } : {}),
    ...headers,
  });
  res.end(text);
}

function sendError(res, err) {
  if (err.kong) return sendJson(res, err.status, { message: err.message }, err.headers);
  const body = { code: err.code ?? null, details: err.details ?? null, hint: err.hint ?? null, message: err.message ?? null };
  return sendJson(res, err.status, body, { 'Proxy-Status': `PostgREST; error=${err.code}`, ...err.headers });
}

// ------------------------------------------------------------------ JWT (HS256)

const BASE64URL = /^[A-Za-z0-9_-]+$/;

/**
 * Strict base64url (RFC 7515 §2): the URL-safe alphabet, no padding, and the canonical
 * encoding of its bytes (so no trailing garbage and no unused bits set). Otherwise null.
 */
function strictBase64url(part) {
  if (!BASE64URL.test(part) || part.length % 4 === 1) return null;
  const bytes = Buffer.from(part, 'base64url');
  return bytes.toString('base64url') === part ? bytes : null;
}

function base64urlJson(part) {
  const bytes = strictBase64url(part);
  if (!bytes) throw new Error('not base64url');
  return JSON.parse(bytes.toString('utf8'));
}

const jwtError = (code, message) => new GatewayError(401, code, message, {
  headers: { 'WWW-Authenticate': `Bearer error="invalid_token", error_description="${message}"` },
});

/**
 * Verifies an HS256 JWT like PostgREST v13, and stricter: the signature must be exactly the
 * 32 bytes of the HMAC in canonical base64url, and the token must expire (`exp`). Returns its claims.
 */
function verifyJwt(token, secret, now = Math.floor(Date.now() / 1000)) {
  if (token === '') throw jwtError('PGRST301', 'Empty JWT is sent in Authorization header');
  const parts = token.split('.');
  if (parts.length !== 3) throw jwtError('PGRST301', `Expected 3 parts in JWT; got ${parts.length}`);
  let header;
  try {
    header = base64urlJson(parts[0]);
  } catch {
    throw jwtError('PGRST301', 'JWT cryptographic operation failed');
  }
  if (header?.alg !== 'HS256') throw jwtError('PGRST301', 'No suitable key or wrong key type');
  const expected = crypto.createHmac('sha256', secret).update(`${parts[0]}.${parts[1]}`).digest();
  const given = strictBase64url(parts[2]);
  if (!given || given.length !== expected.length || !crypto.timingSafeEqual(given, expected)) {
    throw jwtError('PGRST301', 'No suitable key or wrong key type');
  }
  let claims;
  try {
    claims = base64urlJson(parts[1]);
  } catch {
    throw jwtError('PGRST301', 'JWT cryptographic operation failed');
  }
  if (typeof claims !== 'object' || claims === null || Array.isArray(claims)) {
    throw jwtError('PGRST301', 'JWT cryptographic operation failed');
  }
  if (typeof claims.exp !== 'number' || !Number.isFinite(claims.exp)) throw jwtError('PGRST301', 'JWT has no exp claim');
  if (now > claims.exp + JWT_SKEW_SECONDS) throw jwtError('PGRST303', 'JWT expired');
  if (typeof claims.nbf === 'number' && now + JWT_SKEW_SECONDS < claims.nbf) throw jwtError('PGRST303', 'JWT not yet valid');
  if (typeof claims.iat === 'number' && now + JWT_SKEW_SECONDS < claims.iat) throw jwtError('PGRST303', 'JWT issued at future');
  return claims;
}

/** Signs an HS256 JWT (used for tests and for the local keys). */
function signJwt(claims, secret) {
  const enc = (o) => Buffer.from(JSON.stringify(o)).toString('base64url');
  const head = `${enc({ alg: 'HS256', typ: 'JWT' })}.${enc(claims)}`;
  return `${head}.${crypto.createHmac('sha256', secret).update(head).digest('base64url')}`;
}

/**
 * Kong + PostgREST auth. Kong's key-auth: every request needs `apikey` (supabase-js always
 * sends it), one of the project's keys, else 401 {"message": …} from Kong itself. Then the
 * Bearer token (or the apikey when there is none) decides the role, as in PostgREST.
 */
function authenticate(req, { jwtSecret, apiKeys }) {
  const apikey = req.headers.apikey;
  const authz = req.headers.authorization;
  if (apikey === undefined || apikey === '') throw kongError(401, 'No API key found in request');
  if (!apiKeys.has(apikey)) throw kongError(401, 'Invalid authentication credentials');
  let token;
  if (authz === undefined) token = apikey;
  else {
    const m = /^bearer (.*)$/i.exec(authz);
    if (!m) throw jwtError('PGRST301', 'Expected 3 parts in JWT; got 1');
    token = m[1].trim();
  }
  const claims = verifyJwt(token, jwtSecret);
  const role = typeof claims.role === 'string' ? claims.role : 'anon';
  if (!API_ROLES.has(role)) {
    throw new GatewayError(401, '22023', `role "${role}" does not exist`);
  }
  return { role, claims: { ...claims, role } };
}

// ------------------------------------------------------------------ schema cache

const PROC_QUERY = `
  select p.proname as name, p.proargnames as arg_names, p.proargmodes::text[] as arg_modes,
         coalesce(p.proallargtypes, p.proargtypes::oid[])::regtype[]::text[] as arg_types,
         p.pronargs as n_in, p.pronargdefaults as n_defaults,
         p.proretset as returns_set, p.prorettype::regtype::text as return_type,
         t.typtype as return_typtype, p.provolatile as volatility
    from pg_proc p
    join pg_namespace n on n.oid = p.pronamespace
    join pg_type t on t.oid = p.prorettype
   where n.nspname = $1 and p.prokind = 'f'`;

function describeProc(row) {
  const modes = row.arg_modes ?? row.arg_types.map(() => 'i');
  const names = row.arg_names ?? [];
  const inputs = [];
  row.arg_types.forEach((type, i) => {
    if (['i', 'b', 'v'].includes(modes[i])) inputs.push({ name: names[i] ?? '', type, variadic: modes[i] === 'v' });
  });
  const nRequired = inputs.length - row.n_defaults;
  const hasOut = modes.some((m) => m === 'o' || m === 'b' || m === 't');
  let shape;
  if (row.return_type === 'void') shape = 'void';
  else if (row.returns_set) shape = 'set';
  else if (row.return_typtype === 'c' || row.return_type === 'record' || hasOut) shape = 'object';
  else shape = 'scalar';
  return {
    name: row.name,
    inputs,
    required: new Set(inputs.slice(0, nRequired).map((a) => a.name)),
    shape,
    readOnly: row.volatility !== 'v',
  };
}

class SchemaCache {
  constructor(pool) { this.pool = pool; this.procs = null; this.loadedAt = 0; }
  async load() {
    const { rows } = await this.pool.query(PROC_QUERY, [EXPOSED_SCHEMA]);
    const byName = new Map();
    for (const row of rows) {
      const d = describeProc(row);
      if (!byName.has(d.name)) byName.set(d.name, []);
      byName.get(d.name).push(d);
    }
    this.procs = byName;
    this.loadedAt = Date.now();
  }
  /** Finds the overload for a set of argument names, reloading once on a miss (new migrations). */
  async find(name, keys) {
    if (!this.procs) await this.load();
    let found = matchOverload(this.procs.get(name) ?? [], keys);
    if (found.length === 0 && Date.now() - this.loadedAt > 1000) {
      await this.load();
      found = matchOverload(this.procs.get(name) ?? [], keys);
    }
    return found;
  }
}

function matchOverload(candidates, keys) {
  const named = candidates.filter((p) => {
    if (p.inputs.some((a) => a.name === '')) return false;
    const names = new Set(p.inputs.map((a) => a.name));
    if (keys.some((k) => !names.has(k))) return false;
    return [...p.required].every((r) => keys.includes(r));
  });
  if (named.length > 0) return named.map((p) => ({ proc: p, singleJson: false }));
  return candidates
    .filter((p) => p.inputs.length === 1 && p.inputs[0].name === '' && ['json', 'jsonb'].includes(p.inputs[0].type))
    .map((p) => ({ proc: p, singleJson: true }));
}

function notFoundFunction(fn, keys) {
  const sorted = [...keys].sort();
  const withParams = sorted.length ? `(${sorted.join(', ')})` : ' without parameters';
  const searched = sorted.length ? ` with parameters ${sorted.join(', ')}` : ' without parameters';
  return new GatewayError(404, 'PGRST202',
    `Could not find the function ${EXPOSED_SCHEMA}.${fn}${withParams} in the schema cache`,
    { details: `Searched for the function ${EXPOSED_SCHEMA}.${fn}${searched} or with a single unnamed json/jsonb parameter, but no matches were found in the schema cache.` });
}

// ------------------------------------------------------------------ SQL building

const ident = (s) => `"${s.replace(/"/g, '""')}"`;

/** The SQL that calls the function with the supplied named args, returning one json column `body`. */
function buildCall(proc, keys, { singleJson, fromQuery, firstElement }) {
  const body = firstElement ? '($1::json -> 0)' : '$1::json';
  const fn = `${ident(EXPOSED_SCHEMA)}.${ident(proc.name)}`;
  let from = '';
  let call;
  const params = [];
  if (singleJson) {
    call = `${fn}(${body}::jsonb)`;
  } else if (fromQuery) {
    const args = keys.map((k, i) => {
      const a = proc.inputs.find((x) => x.name === k);
      params.push(null);
      return `${a.variadic ? 'variadic ' : ''}${ident(k)} := $${i + 1}::${a.type}`;
    });
    call = `${fn}(${args.join(', ')})`;
  } else {
    const used = proc.inputs.filter((a) => keys.includes(a.name));
    if (used.length) {
      from = ` from json_to_record(${body}) as _(${used.map((a) => `${ident(a.name)} ${a.type}`).join(', ')})`;
    }
    call = `${fn}(${used.map((a) => `${a.variadic ? 'variadic ' : ''}${ident(a.name)} := _.${ident(a.name)}`).join(', ')})`;
  }
  const lateral = from ? `${from}, lateral` : ' from';
  // Results travel as text so that big numbers pass through exactly, as with PostgREST.
  switch (proc.shape) {
    case 'void': return `select ${call} is null as body${from}`;
    case 'set': return `select _b::text as body, json_array_length(_b) as n from (select coalesce(json_agg(_r), '[]'::json) as _b${lateral} ${call} _r) _s`;
    case 'object': return `select to_json(_r)::text as body${lateral} ${call} _r`;
    default: return `select to_json(${call})::text as body${from}`;
  }
}

// ------------------------------------------------------------------ request handling

function readBody(req, maxBytes) {
  return new Promise((resolve, reject) => {
    const chunks = [];
    let size = 0;
    // Keep draining an oversized body (so the client gets our answer), but stop storing it.
    req.on('data', (c) => {
      size += c.length;
      if (size <= maxBytes) chunks.push(c);
    });
    req.on('end', () => {
      if (size > maxBytes) {
        reject(new GatewayError(413, 'PGRST413', 'Payload too large', { hint: `The request body is limited to ${maxBytes} bytes.` }));
      } else resolve(Buffer.concat(chunks));
    });
    req.on('error', reject);
  });
}

/** True if the JSON text opens more than `limit` arrays/objects inside each other (strings skipped). */
function nestedDeeperThan(text, limit) {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i += 1) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i += 1; // backslash: skip the escaped character
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x5b || c === 0x7b) {
      depth += 1;
      if (depth > limit) return true;
    } else if (c === 0x5d || c === 0x7d) depth -= 1;
  }
  return false;
}

function parseJsonBody(buf, contentType, maxDepth) {
  const ct = (contentType ?? 'application/json').split(';')[0].trim().toLowerCase();
  if (ct !== 'application/json' && ct !== '*/*') {
    throw new GatewayError(400, 'PGRST102', `Content-Type not acceptable: ${ct}`);
  }
  const text = buf.toString('utf8').trim();
  if (text === '') return { args: {}, rawJson: '{}', firstElement: false };
  if (nestedDeeperThan(text, maxDepth)) {
    throw new GatewayError(400, 'PGRST102', 'Empty or invalid json', { details: `JSON nested deeper than ${maxDepth} levels` });
  }
  let value;
  try { value = JSON.parse(text); } catch { throw new GatewayError(400, 'PGRST102', 'Empty or invalid json'); }
  // PostgREST hands the raw text to Postgres (json_to_record), so numbers such as 1e400 or
  // 12345678901234567890 reach the function's types unrounded; we keep the raw text too.
  if (Array.isArray(value)) return { args: value[0] ?? {}, rawJson: `${text}`, firstElement: true };
  if (value === null || typeof value !== 'object') throw new GatewayError(400, 'PGRST102', 'Empty or invalid json');
  return { args: value, rawJson: text, firstElement: false };
}

function queryArgs(searchParams, maxDepth) {
  const args = {};
  for (const [k, v] of searchParams) {
    if (RESERVED_QUERY_KEYS.has(k) || RESERVED_SUFFIXES.some((s) => k.endsWith(s))) continue;
    // a value may be cast to json/jsonb: the same depth limit as for a body
    if (nestedDeeperThan(v, maxDepth)) {
      throw new GatewayError(400, 'PGRST100', `"${k}" is nested deeper than ${maxDepth} levels`);
    }
    args[k] = v;
  }
  return args;
}

function roleSettingsQuery() {
  return `select r.rolname, s.setconfig from pg_db_role_setting s join pg_roles r on r.oid = s.setrole
           where s.setdatabase = 0 and r.rolname = any($1)`;
}

async function callRpc({ pool, cache, roleSettings, req, url, auth, body, maxJsonDepth }) {
  const isGet = req.method === 'GET' || req.method === 'HEAD';
  const args = isGet ? queryArgs(url.searchParams, maxJsonDepth) : body.args;
  const keys = Object.keys(args);
  const rawName = url.pathname.slice('/rest/v1/rpc/'.length);
  let fnName;
  try {
    fnName = decodeURIComponent(rawName);
  } catch {
    throw notFoundFunction(rawName, keys); // a malformed escape names no function
  }
  const matches = await cache.find(fnName, keys);
  if (matches.length === 0) throw notFoundFunction(fnName, keys);
  if (matches.length > 1) {
    throw new GatewayError(300, 'PGRST203', `Could not choose the best candidate function between: ${matches.map((m) => `${EXPOSED_SCHEMA}.${m.proc.name}(${m.proc.inputs.map((a) => `${a.name} => ${a.type}`).join(', ')})`).join(', ')}`,
      { hint: 'Try renaming the parameters or the function itself in the database so function overloading can be resolved' });
  }
  const { proc, singleJson } = matches[0];
  const sql = buildCall(proc, keys, { singleJson, fromQuery: isGet && !singleJson, firstElement: !isGet && body.firstElement });
  const rawJson = isGet ? JSON.stringify(args) : body.rawJson;
  const params = singleJson || (!isGet && keys.length) ? [rawJson] : isGet ? keys.map((k) => args[k]) : [];
  const readOnly = isGet || proc.readOnly;

  const client = await pool.connect();
  let released = false;
  try {
    await client.query(readOnly ? 'begin isolation level read committed read only' : 'begin isolation level read committed');
    const settings = [
      ['search_path', `${EXPOSED_SCHEMA}, extensions`],
      ...(roleSettings.get(auth.role) ?? []),
      ['role', auth.role],
      ['request.jwt.claims', JSON.stringify(auth.claims)],
      ['request.method', req.method],
      ['request.path', url.pathname.replace(/^\/rest\/v1/, '')],
      ['request.headers', JSON.stringify(Object.fromEntries(Object.entries(req.headers).filter(([k]) => k !== 'cookie')))],
    ];
    await client.query(
      `select ${settings.map((_, i) => `set_config($${2 * i + 1}, $${2 * i + 2}, true)`).join(', ')}`,
      settings.flat(),
    );
    const result = await client.query(sql, params);
    await client.query('commit');
    return { proc, body: result.rows[0]?.body ?? 'null', rows: result.rows[0]?.n ?? 1 };
  } catch (e) {
    try { await client.query('rollback'); } catch { client.release(true); released = true; }
    if (e instanceof GatewayError) throw e;
    if (e && typeof e.code === 'string') {
      throw new GatewayError(statusForSqlState(e.code, e.message, auth.role !== 'anon'), e.code, e.message,
        { details: e.detail ?? null, hint: e.hint ?? null,
          headers: e.code === '42501' && auth.role === 'anon' ? { 'WWW-Authenticate': 'Bearer' } : {} });
    }
    throw e;
  } finally {
    if (!released) client.release();
  }
}

function rpcResponse(res, req, proc, body, rowCount) {
  if (proc.shape === 'void') {
    res.writeHead(204, { 'Content-Range': '*/*' });
    res.end();
    return;
  }
  const wantsObject = (req.headers.accept ?? '').includes('application/vnd.pgrst.object+json');
  let text = body;
  if (wantsObject && proc.shape === 'set') {
    if (rowCount !== 1) {
      throw new GatewayError(406, 'PGRST116', 'Cannot coerce the result to a single JSON object',
        { details: `The result contains ${rowCount} rows` });
    }
    text = JSON.stringify(JSON.parse(body)[0]);
  }
  const n = proc.shape === 'set' && !wantsObject ? rowCount : 1;
  res.writeHead(200, {
    'Content-Type': wantsObject ? 'application/vnd.pgrst.object+json; charset=utf-8' : 'application/json; charset=utf-8',
    'Content-Range': n === 0 ? '*/*' : `0-${n - 1}/*`,
    'Content-Length': Buffer.byteLength(text),
  });
  res.end(req.method === 'HEAD' ? undefined : text);
}

/**
 * /functions/v1/<name>… → the functions host. Only to its fixed origin, only for a checked
 * function name and path (forward-path.cjs); anything else 404 as the functions host answers.
 */
function proxyToFunctions(req, res, upstream) {
  const path = functionsPath(req.url);
  if (path === null) return sendJson(res, 404, { code: 'function_not_found', message: '接口不存在' });
  const headers = { ...req.headers, host: upstream.host };
  const onFail = () => {
    if (!res.headersSent) sendJson(res, 502, { code: 'functions_unavailable', message: '服务暂不可用，请稍后重试' });
    else res.destroy();
  };
  const up = http.request({ hostname: upstream.hostname, port: upstream.port, path, method: req.method, headers }, (answer) => {
    answer.on('error', () => res.destroy());
    try {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
    } catch {
      answer.destroy();
      return onFail();
    }
    answer.pipe(res);
  });
  up.on('error', onFail);
  req.on('error', () => up.destroy());
  res.on('close', () => { if (!res.writableFinished) up.destroy(); });
  req.pipe(up);
}

function applyCors(req, res) {
  if (!req.headers.origin) return;
  res.setHeader('Access-Control-Allow-Origin', '*');
  res.setHeader('Access-Control-Expose-Headers', 'Content-Encoding, Content-Location, Content-Range, Content-Type, Date, Location, Server, Transfer-Encoding, Range-Unit');
}

function preflight(req, res) {
  const requested = req.headers['access-control-request-headers'];
  res.writeHead(200, {
    'Access-Control-Allow-Origin': '*',
    'Access-Control-Allow-Methods': 'GET, POST, PATCH, PUT, DELETE, OPTIONS, HEAD',
    'Access-Control-Allow-Headers': ['Authorization', requested, 'Accept', 'Accept-Language', 'Content-Language'].filter(Boolean).join(', '),
    'Access-Control-Max-Age': '86400',
  });
  res.end();
}

/**
 * Starts the gateway. `databaseUrl` should use the `authenticator` login role, as PostgREST does.
 * Returns { url, port, close() }.
 */
/** The request's URL (path and query); a target that is no URL at all is a 400. */
function requestUrl(req) {
  try {
    return new URL(req.url ?? '/', 'http://gateway.local');
  } catch {
    throw new GatewayError(400, 'PGRST100', 'Invalid request URL');
  }
}

/** Answers an error that escaped the handler, whatever state the response is in. */
function answerFailure(res, e) {
  try {
    if (res.headersSent) {
      res.destroy();
      return;
    }
    if (e instanceof GatewayError) {
      sendError(res, e);
      return;
    }
    const code = e && typeof e.code === 'string' ? e.code : 'PGRST000';
    sendError(res, new GatewayError(code.startsWith('08') || code === 'ECONNREFUSED' ? 503 : 500, code, 'Internal gateway error'));
  } catch {
    res.destroy();
  }
}

/**
 * Starts the gateway. `databaseUrl` should use the `authenticator` login role, as PostgREST does.
 * Returns { url, port, close() }. No request can stop it: every failure is answered (4xx/5xx).
 */
async function startGateway({
  databaseUrl, jwtSecret, anonKey, serviceRoleKey, functionsUrl,
  port = 0, host = '127.0.0.1', maxBodyBytes = DEFAULT_MAX_BODY_BYTES, maxJsonDepth = DEFAULT_MAX_JSON_DEPTH, poolSize = 20,
}) {
  if (!jwtSecret || jwtSecret.length < 32) throw new Error('JWT secret must be at least 32 characters');
  // The project keys must pass the same checks as any token (signature, exp), or nothing works.
  for (const [name, key] of [['anon key', anonKey], ['service role key', serviceRoleKey]]) {
    if (!key) continue;
    try { verifyJwt(key, jwtSecret); } catch (e) { throw new Error(`the ${name} is not a valid token for this JWT secret: ${e.message}`); }
  }
  const functions = functionsUrl ? upstreamOrigin(functionsUrl, 'functionsUrl') : null;
  const pool = new pg.Pool({ connectionString: databaseUrl, max: poolSize });
  pool.on('error', () => {});
  const cache = new SchemaCache(pool);
  const roleSettings = new Map();
  const { rows } = await pool.query(roleSettingsQuery(), [[...API_ROLES]]);
  for (const r of rows) {
    roleSettings.set(r.rolname, (r.setconfig ?? []).map((kv) => { const i = kv.indexOf('='); return [kv.slice(0, i), kv.slice(i + 1)]; }));
  }
  const apiKeys = new Set([anonKey, serviceRoleKey].filter(Boolean));

  async function handle(req, res) {
    applyCors(req, res);
    if (req.method === 'OPTIONS' && req.headers.origin && req.headers['access-control-request-method']) return preflight(req, res);
    if ((req.url ?? '').startsWith('/functions/v1/')) {
      if (!functions) throw new GatewayError(503, 'functions_unavailable', 'Edge functions are not running');
      return proxyToFunctions(req, res, functions);
    }
    const url = requestUrl(req);
    if (url.pathname === '/health' || url.pathname === '/rest/v1/health') return sendJson(res, 200, { status: 'ok' });
    if (!url.pathname.startsWith('/rest/v1/rpc/') || url.pathname.length === '/rest/v1/rpc/'.length) {
      throw new GatewayError(404, 'PGRST125', 'Invalid path specified in request URL');
    }
    if (req.method === 'OPTIONS') { res.writeHead(200, { Allow: 'OPTIONS,GET,HEAD,POST' }); return res.end(); }
    if (!['GET', 'HEAD', 'POST'].includes(req.method ?? '')) {
      throw new GatewayError(405, 'PGRST101', `Cannot use the ${req.method} method on RPC`);
    }
    const auth = authenticate(req, { jwtSecret, apiKeys });
    const profile = req.headers['content-profile'] ?? req.headers['accept-profile'];
    if (profile && profile !== EXPOSED_SCHEMA) {
      throw new GatewayError(406, 'PGRST106', `Invalid schema: ${profile}`, { hint: `Only the following schemas are exposed: ${EXPOSED_SCHEMA}` });
    }
    const raw = req.method === 'POST' ? await readBody(req, maxBodyBytes) : Buffer.alloc(0);
    const body = req.method === 'POST' ? parseJsonBody(raw, req.headers['content-type'], maxJsonDepth) : { args: {}, rawJson: '{}', firstElement: false };
    const { proc, body: result, rows } = await callRpc({ pool, cache, roleSettings, req, url, auth, body, maxJsonDepth });
    if (profile) res.setHeader('Content-Profile', profile);
    return rpcResponse(res, req, proc, result, rows);
  }

  const server = http.createServer((req, res) => {
    req.on('error', () => {});
    res.on('error', () => {});
    let pending;
    try {
      pending = handle(req, res);
    } catch (e) {
      answerFailure(res, e);
      return;
    }
    Promise.resolve(pending).catch((e) => answerFailure(res, e));
  });
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => { server.off('error', reject); resolve(); });
  });
  server.on('error', (e) => console.error('gateway:', e));
  const actualPort = server.address().port;
  return {
    port: actualPort,
    url: `http://${host}:${actualPort}`,
    reloadSchema: () => cache.load(),
    close: async () => {
      await new Promise((resolve) => server.close(resolve));
      server.closeAllConnections?.();
      await pool.end();
    },
  };
}

module.exports = { startGateway, verifyJwt, signJwt, statusForSqlState };
