// The H5 server compresses text (brotli or gzip, as the browser accepts) and caches hashed
// assets for a year while index.html is revalidated.
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const { serveH5 } = require('../../supabase/local/h5-server.cjs');

let dir: string;
let server: { url: string; close: () => Promise<void> };
const js = `console.log(${JSON.stringify('排队返利'.repeat(200))});`;

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'h5-'));
  fs.mkdirSync(path.join(dir, 'js'));
  fs.writeFileSync(path.join(dir, 'index.html'), '<!doctype html><title>排队返利</title>');
  fs.writeFileSync(path.join(dir, 'js', 'app.0123abcd.js'), js);
  fs.writeFileSync(path.join(dir, 'logo.png'), Buffer.from([0x89, 0x50, 0x4e, 0x47]));
  server = await serveH5({ dir, consoleDir: dir });
});
afterAll(async () => {
  await server?.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

function get(p: string, encoding?: string): Promise<{ headers: http.IncomingHttpHeaders; body: Buffer }> {
  return new Promise((resolve, reject) => {
    http.get(`${server.url}${p}`, { headers: encoding ? { 'Accept-Encoding': encoding } : {} }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve({ headers: res.headers, body: Buffer.concat(chunks) }));
    }).on('error', reject);
  });
}

test('hashed assets: compressed, cached a year', async () => {
  const gz = await get('/js/app.0123abcd.js', 'gzip, deflate');
  expect(gz.headers['content-encoding']).toBe('gzip');
  expect(gz.headers['cache-control']).toBe('public, max-age=31536000, immutable');
  expect(gz.headers.vary).toBe('Accept-Encoding');
  expect(zlib.gunzipSync(gz.body).toString()).toBe(js);
  expect(gz.body.length).toBeLessThan(Buffer.byteLength(js) / 5);
  const br = await get('/js/app.0123abcd.js', 'gzip, deflate, br');
  expect(br.headers['content-encoding']).toBe('br');
  expect(zlib.brotliDecompressSync(br.body).toString()).toBe(js);
  const plain = await get('/js/app.0123abcd.js');
  expect(plain.headers['content-encoding']).toBeUndefined();
  expect(plain.body.toString()).toBe(js);
});

test('index.html is revalidated; images are not recompressed', async () => {
  const html = await get('/', 'gzip');
  expect(html.headers['cache-control']).toBe('no-cache');
  expect(zlib.gunzipSync(html.body).toString()).toContain('排队返利');
  const png = await get('/logo.png', 'gzip');
  expect(png.headers['content-encoding']).toBeUndefined();
});
