'use strict';
// Serves the H5 build (dist/h5), the operators' console (dist/console) at /console/, and forwards
// /rest/v1 and /functions/v1 to the API gateway, so the pages and their API share one origin
// (the builds may use SUPABASE_URL 'same-origin').
// Forwarding goes only to the gateway's fixed origin, for checked paths (forward-path.cjs);
// no request can stop the server (a malformed one gets 400, an unknown API path 404).
const fs = require('node:fs');
const http = require('node:http');
const path = require('node:path');
const zlib = require('node:zlib');
const { functionsPath, restPath, upstreamOrigin } = require('./forward-path.cjs');

const MIME = {
  '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.css': 'text/css; charset=utf-8',
  '.png': 'image/png', '.jpg': 'image/jpeg', '.svg': 'image/svg+xml', '.json': 'application/json',
  '.ico': 'image/x-icon', '.woff': 'font/woff', '.woff2': 'font/woff2', '.ttf': 'font/ttf',
};

class RequestError extends Error {
  constructor(status, code, message) {
    super(message);
    Object.assign(this, { status, code });
  }
}

function sendJson(res, status, body) {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8', 'Content-Length': Buffer.byteLength(text) });
  res.end(text);
}

/** Answers a failure whatever state the response is in. */
function answerFailure(res, e) {
  try {
    if (res.headersSent) {
      res.destroy();
      return;
    }
    if (e instanceof RequestError) sendJson(res, e.status, { code: e.code, message: e.message });
    else {
      console.error('h5 server:', e);
      sendJson(res, 500, { code: 'server_error', message: '服务暂时不可用，请稍后重试' });
    }
  } catch {
    res.destroy();
  }
}

/** `/rest/v1/…` and `/functions/v1/…` → the same path at the gateway, or null. */
function apiPath(rawUrl) {
  if (rawUrl.startsWith('/functions/v1/')) {
    const p = functionsPath(rawUrl);
    return p === null ? null : `/functions/v1${p}`;
  }
  return restPath(rawUrl);
}

function forward(req, res, upstream) {
  const target = apiPath(req.url ?? '');
  if (target === null) throw new RequestError(404, 'not_found', '接口不存在');
  const up = http.request(
    { hostname: upstream.hostname, port: upstream.port, path: target, method: req.method, headers: { ...req.headers, host: upstream.host } },
    (answer) => {
      answer.on('error', () => res.destroy());
      try {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
      } catch (e) {
        answer.destroy();
        answerFailure(res, e);
        return;
      }
      answer.pipe(res);
    },
  );
  up.on('error', () => answerFailure(res, new RequestError(502, 'api_unavailable', '服务暂不可用，请稍后重试')));
  req.on('error', () => up.destroy());
  res.on('close', () => { if (!res.writableFinished) up.destroy(); });
  req.pipe(up);
}

function sendFile(req, res, dir, prefix = '') {
  let rel;
  try {
    rel = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname).slice(prefix.length) || '/';
  } catch {
    throw new RequestError(400, 'bad_request', '请求地址无效');
  }
  if (rel.includes('\0')) throw new RequestError(400, 'bad_request', '请求地址无效');
  let file = path.join(dir, path.normalize(rel));
  const inside = file === dir || file.startsWith(dir + path.sep);
  if (!inside || !fs.existsSync(file) || fs.statSync(file).isDirectory()) file = path.join(dir, 'index.html');
  if (!fs.existsSync(file)) {
    res.writeHead(404, { 'Content-Type': 'text/plain; charset=utf-8' });
    res.end(prefix ? 'console build missing: run npm run build:console' : 'H5 build missing: run npm run build:h5');
    return;
  }
  const stream = fs.createReadStream(file);
  stream.on('error', (e) => answerFailure(res, e));
  stream.once('open', () => {
    const type = MIME[path.extname(file)] ?? 'application/octet-stream';
    const headers = { 'Content-Type': type, 'Cache-Control': cacheControl(path.relative(dir, file)), Vary: 'Accept-Encoding' };
    const encoding = COMPRESSIBLE.test(type) ? pickEncoding(req.headers['accept-encoding']) : null;
    if (!encoding) {
      res.writeHead(200, headers);
      stream.pipe(res);
      return;
    }
    res.writeHead(200, { ...headers, 'Content-Encoding': encoding });
    const zip = encoding === 'br'
      ? zlib.createBrotliCompress({ params: { [zlib.constants.BROTLI_PARAM_QUALITY]: 5 } })
      : zlib.createGzip({ level: 6 });
    zip.on('error', () => res.destroy());
    stream.pipe(zip).pipe(res);
  });
}

// Text responses are compressed (brotli where the browser takes it, else gzip).
const COMPRESSIBLE = /^(text\/|application\/(javascript|json)|image\/svg)/;

function pickEncoding(accept) {
  const a = String(accept ?? '');
  if (/\bbr\b/.test(a)) return 'br';
  if (/\bgzip\b/.test(a)) return 'gzip';
  return null;
}

// Files whose name carries a content hash (js/app.1a2b3c4d.js) never change: cache them for a
// year; everything else (index.html) is revalidated, so a new build is seen at once.
function cacheControl(rel) {
  return /\.[0-9a-f]{8,}\.[a-z0-9]+$/i.test(rel) ? 'public, max-age=31536000, immutable' : 'no-cache';
}

/** Starts the server; resolves to { url, port, close() }. consoleDir defaults to dist/console beside dir. */
async function serveH5({ dir, port = 0, host = '127.0.0.1', apiUrl, consoleDir }) {
  const root = path.resolve(dir);
  const consoleRoot = path.resolve(consoleDir ?? path.join(root, '..', 'console'));
  const upstream = apiUrl ? upstreamOrigin(apiUrl, 'apiUrl') : null;
  const server = http.createServer((req, res) => {
    req.on('error', () => {});
    res.on('error', () => {});
    try {
      if (upstream && /^\/(rest|functions)\/v1\//.test(req.url ?? '')) return forward(req, res, upstream);
      if (req.url === '/console') {
        res.writeHead(301, { Location: '/console/' });
        return res.end();
      }
      if ((req.url ?? '').startsWith('/console/')) return sendFile(req, res, consoleRoot, '/console');
      return sendFile(req, res, root);
    } catch (e) {
      return answerFailure(res, e);
    }
  });
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => { server.off('error', reject); resolve(); });
  });
  server.on('error', (e) => console.error('h5 server:', e));
  const actual = server.address().port;
  return {
    port: actual,
    url: `http://${host}:${actual}`,
    close: () => new Promise((resolve) => { server.close(resolve); server.closeAllConnections?.(); }),
  };
}

module.exports = { serveH5 };
