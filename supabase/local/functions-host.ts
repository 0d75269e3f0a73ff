// Local stand-in for the Supabase edge runtime: ONE Deno process serving every function
// in supabase/functions at http://127.0.0.1:$FUNCTIONS_PORT/<name>/...
//
// Each supabase/functions/<name>/index.ts calls Deno.serve(handler) at import time, exactly as
// it does when deployed. We swap Deno.serve for a shim that only captures the handler, import the
// entry files one by one, then serve them all from one real server, routing on the first path
// segment. Requests reach a handler unchanged (URL path /<name>/..., as on hosted Supabase).

type Handler = (req: Request, info: Deno.ServeHandlerInfo<Deno.NetAddr>) => Response | Promise<Response>;

const functionsDir = new URL('../functions/', import.meta.url);
const port = Number(Deno.env.get('FUNCTIONS_PORT') ?? 54325);
const hostname = Deno.env.get('FUNCTIONS_HOSTNAME') ?? '127.0.0.1';

function json(status: number, body: unknown): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { 'Access-Control-Allow-Origin': '*', 'Content-Type': 'application/json; charset=utf-8' },
  });
}

// --------------------------------------------------------------- capture the handlers
const realServe = Deno.serve;
let captured: Handler | undefined;

function captureServe(...args: unknown[]): Deno.HttpServer<Deno.NetAddr> {
  // Deno.serve(handler) | Deno.serve(options, handler) | Deno.serve({ handler, ... })
  const fn = args.find((a) => typeof a === 'function') ??
    (args[0] as { handler?: unknown } | undefined)?.handler;
  if (typeof fn !== 'function') throw new Error('Deno.serve called without a handler');
  captured = fn as Handler;
  const finished = new Promise<void>(() => {});
  return {
    finished,
    addr: { transport: 'tcp', hostname, port },
    ref() {},
    unref() {},
    shutdown: () => Promise.resolve(),
    [Symbol.asyncDispose]: () => Promise.resolve(),
  };
}

const handlers = new Map<string, Handler>();
Object.defineProperty(Deno, 'serve', { value: captureServe, configurable: true, writable: true });
try {
  const names = [...Deno.readDirSync(functionsDir)]
    .filter((e) => e.isDirectory && !e.name.startsWith('_') && !e.name.startsWith('.'))
    .map((e) => e.name)
    .sort();
  for (const name of names) {
    const entry = new URL(`${name}/index.ts`, functionsDir);
    try {
      Deno.statSync(entry);
    } catch {
      continue; // a folder without an entry file is not a function
    }
    captured = undefined;
    await import(entry.href);
    if (!captured) throw new Error(`supabase/functions/${name}/index.ts did not call Deno.serve`);
    handlers.set(name, captured);
  }
} finally {
  Object.defineProperty(Deno, 'serve', { value: realServe, configurable: true, writable: true });
}

// --------------------------------------------------------------- serve them all
realServe({
  port,
  hostname,
  onListen: () => console.log(`functions host on http://${hostname}:${port}: ${[...handlers.keys()].join(', ')}`),
}, async (req, info) => {
  const name = new URL(req.url).pathname.split('/')[1] ?? '';
  if (name === '_health') {
    return json(200, { instance: Deno.env.get('FUNCTIONS_HOST_INSTANCE') ?? null, functions: [...handlers.keys()] });
  }
  const handler = handlers.get(name);
  if (!handler) return json(404, { code: 'function_not_found', message: '接口不存在' });
  try {
    return await handler(req, info);
  } catch (err) {
    console.error(`function ${name} threw:`, err);
    return json(500, { code: 'internal_error', message: '服务暂时不可用，请稍后再试' });
  }
});
