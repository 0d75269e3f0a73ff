// Which request targets the gateway and the H5 server may forward, and where to.
//
// Both forward to ONE fixed upstream origin. The upstream URL is never resolved from the
// request (no `new URL(path, base)`: `//host/…` or `\\host\…` there would name another host);
// it is the fixed origin's host and port plus a path built here from checked pieces, given
// to http.request as { hostname, port, path }. Anything else is not forwarded (404).
'use strict';

const FUNCTION_NAME = /^[a-z0-9][a-z0-9_-]*$/;
// A path segment after the first one: unreserved characters only, never a dot segment,
// never a percent-escape (which could hide '/', '\\' or '..').
const SEGMENT = /^[A-Za-z0-9_~-][A-Za-z0-9._~-]*$/;
// A query string as supabase-js and the client send it (URLSearchParams encoding): visible
// ASCII only; no fragment.
const QUERY = /^\?[\x21-\x22\x24-\x7e]*$/;

/** Splits a raw request target (req.url) into path and query; null if it is not origin-form. */
function splitTarget(raw) {
  if (typeof raw !== 'string' || !raw.startsWith('/') || raw.startsWith('//')) return null;
  const q = raw.indexOf('?');
  const path = q < 0 ? raw : raw.slice(0, q);
  const query = q < 0 ? '' : raw.slice(q);
  if (query !== '' && query !== '?' && !QUERY.test(query)) return null;
  return { path, query: query === '?' ? '' : query };
}

function checkedSegments(rest) {
  if (rest === '') return [];
  const segments = rest.split('/');
  return segments.every((s) => SEGMENT.test(s)) ? segments : null;
}

/**
 * `/functions/v1/<name>[/<segment>…][?query]` → the functions host's path `/<name>[/…][?query]`,
 * or null. `<name>` must match ^[a-z0-9][a-z0-9_-]*$.
 */
function functionsPath(raw) {
  const t = splitTarget(raw);
  if (!t || !t.path.startsWith('/functions/v1/')) return null;
  const rest = t.path.slice('/functions/v1/'.length);
  const slash = rest.indexOf('/');
  const name = slash < 0 ? rest : rest.slice(0, slash);
  if (!FUNCTION_NAME.test(name)) return null;
  const more = slash < 0 ? [] : checkedSegments(rest.slice(slash + 1));
  if (more === null) return null;
  return `/${[name, ...more].join('/')}${t.query}`;
}

/** `/rest/v1/<segment>[/<segment>…][?query]` → the same path for the gateway, or null. */
function restPath(raw) {
  const t = splitTarget(raw);
  if (!t || !t.path.startsWith('/rest/v1/')) return null;
  const segments = checkedSegments(t.path.slice('/rest/v1/'.length));
  if (segments === null || segments.length === 0) return null;
  return `/rest/v1/${segments.join('/')}${t.query}`;
}

/** The fixed upstream of a forwarder: protocol http, host and port from a configured URL. */
function upstreamOrigin(configured, what) {
  const u = new URL(configured);
  if (u.protocol !== 'http:') throw new Error(`${what} must be an http:// URL, got ${configured}`);
  return { hostname: u.hostname.replace(/^\[|\]$/g, ''), port: Number(u.port || 80), host: u.host };
}

module.exports = { FUNCTION_NAME, functionsPath, restPath, upstreamOrigin, splitTarget };
