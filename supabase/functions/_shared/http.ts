// JSON responses, CORS for the H5 build, and the POST-with-JSON-body wrapper every function uses.

export type Handler = (req: Request) => Promise<Response>;

export const corsHeaders: Record<string, string> = {
  'Access-Control-Allow-Origin': '*',
  'Access-Control-Allow-Headers': 'authorization, apikey, content-type, x-client-info',
  'Access-Control-Allow-Methods': 'POST, OPTIONS',
  'Access-Control-Max-Age': '86400',
};

/** An error with a stable `code` for the client and a Chinese `message` for the user. */
export class HttpError extends Error {
  constructor(readonly status: number, readonly code: string, message: string) {
    super(message);
    this.name = 'HttpError';
  }
}

export function json(status: number, body: unknown): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { ...corsHeaders, 'Content-Type': 'application/json; charset=utf-8' },
  });
}

export function errorResponse(err: unknown): Response {
  if (err instanceof HttpError) {
    return json(err.status, { code: err.code, message: err.message });
  }
  console.error('unexpected error:', err);
  return json(500, { code: 'internal_error', message: '服务暂时不可用，请稍后再试' });
}

export type JsonObject = Record<string, unknown>;

/**
 * A handler for `POST` with a JSON object body: answers the CORS preflight,
 * refuses other methods, parses the body and turns thrown errors into JSON.
 */
export function postJson(fn: (body: JsonObject, req: Request) => Promise<unknown>): Handler {
  return async (req) => {
    if (req.method === 'OPTIONS') return new Response(null, { status: 204, headers: corsHeaders });
    if (req.method !== 'POST') {
      return json(405, { code: 'method_not_allowed', message: '请求方式不支持' });
    }
    try {
      let body: unknown;
      try {
        body = await req.json();
      } catch {
        throw new HttpError(400, 'invalid_body', '请求格式错误');
      }
      if (typeof body !== 'object' || body === null || Array.isArray(body)) {
        throw new HttpError(400, 'invalid_body', '请求格式错误');
      }
      return json(200, await fn(body as JsonObject, req));
    } catch (err) {
      return errorResponse(err);
    }
  };
}
