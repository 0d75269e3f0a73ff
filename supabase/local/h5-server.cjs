'use strict';
// Serves the H5 build (dist/h5), the operators' console (dist/console) at /console/, and forwards
// /rest/v1 and /functions/v1 to the API gateway, so the pages and their API share one origin
// (the builds may use SUPABASE_URL 'same-origin').
const fs = require('node:fs');
const http = require('node:http');
const path = require('node:path');

const MIME = {
  '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.css': 'text/css; charset=utf-8',
  '.png': 'image/png', '.jpg': 'image/jpeg', '.svg': 'image/svg+xml', '.json': 'application/json',
  '.ico': 'image/x-icon', '.woff': 'font/woff', '.woff2': 'font/woff2', '.ttf': 'font/ttf',
};

function forward(req, res, apiUrl) {
  const target = new URL(req.url, apiUrl);
  const upstream = http.request(target, { method: req.method, headers: { ...req.headers, host: target.host } }, (up) => {
    res.writeHead(up.statusCode ?? 502, up.headers);
    up.pipe(res);
  });
  upstream.on('error', () => {
    if (!res.headersSent) {
      res.writeHead(502, { 'Content-Type': 'application/json; charset=utf-8' });
      res.end(JSON.stringify({ code: 'api_unavailable', message: '服务暂不可用，请稍后重试' }));
    } else res.end();
  });
  req.pipe(upstream);
}

function sendFile(req, res, dir, prefix = '') {
  const rel = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname).slice(prefix.length) || '/';
  let file = path.join(dir, path.normalize(rel));
  if (!file.startsWith(dir) || !fs.existsSync(file) || fs.statSync(file).isDirectory()) file = path.join(dir, 'index.html');
  if (!fs.existsSync(file)) {
    res.writeHead(404, { 'Content-Type': 'text/plain; charset=utf-8' });
    res.end(prefix ? 'console build missing: run npm run build:console' : 'H5 build missing: run npm run build:h5');
    return;
  }
  res.writeHead(200, { 'Content-Type': MIME[path.extname(file)] ?? 'application/octet-stream' });
  fs.createReadStream(file).pipe(res);
}

/** Starts the server; resolves to { url, port, close() }. consoleDir defaults to dist/console beside dir. */
async function serveH5({ dir, port = 0, host = '127.0.0.1', apiUrl, consoleDir }) {
  const root = path.resolve(dir);
  const consoleRoot = path.resolve(consoleDir ?? path.join(root, '..', 'console'));
  const server = http.createServer((req, res) => {
    if (apiUrl && /^\/(rest|functions)\/v1\//.test(req.url ?? '')) return forward(req, res, apiUrl);
    if (req.url === '/console') {
      res.writeHead(301, { Location: '/console/' });
      return res.end();
    }
    if ((req.url ?? '').startsWith('/console/')) return sendFile(req, res, consoleRoot, '/console');
    return sendFile(req, res, root);
  });
  await new Promise((resolve) => server.listen(port, host, resolve));
  const actual = server.address().port;
  return {
    port: actual,
    url: `http://${host}:${actual}`,
    close: () => new Promise((resolve) => { server.close(resolve); server.closeAllConnections?.(); }),
  };
}

module.exports = { serveH5 };
