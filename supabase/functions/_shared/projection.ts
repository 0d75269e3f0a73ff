// The projection of one of my waiting entries (docs/projection.md): POST {entry_id} with the
// member's token. The member's own RPC says where the entry stands (so nobody projects another
// member's entry); the queue's history comes through the service role and its simulation is
// cached per queue and hour (seeded by queue and hour, so every member of a queue sees the
// same figures within the hour). The engine is the client's own file (client/lib/projection.ts).
import {
  describeProjection,
  HORIZON_DAYS,
  MIN_HISTORY_DAYS,
  projectAmount,
  type QueueModel,
  seedFrom,
  modelFromQueueInput,
} from '../../../client/lib/projection.ts';
import { readConfig } from './config.ts';
import { serviceClient, userClient } from './db.ts';
import { type Handler, HttpError, postJson } from './http.ts';

const HOUR_MS = 3600_000;
export const PROJECTION_RUNS = 1000;

interface QueueInput {
  queue_id: number;
  as_of: string;
  closed: boolean;
  plugin_on: boolean;
  paused: boolean;
  next_clearing_at: string | null;
  daily_inflow_fen: (number | string)[];
}

interface EntryInput {
  entry_id: number;
  queue_id: number;
  status: string;
  position: number | null;
  ahead_count: number | null;
  remaining_fen: number | null;
  eligible: boolean;
  eligible_ahead_fen: number | null;
  amounts_shown: boolean;
}

interface Cached {
  hour: number;
  input: QueueInput;
  model: QueueModel;
}

const cache = new Map<number, Cached>();

/** Forget every cached simulation (tests). */
export function clearProjectionCache(): void {
  cache.clear();
}

function bearerToken(req: Request): string {
  const m = /^bearer\s+(.+)$/i.exec(req.headers.get('authorization') ?? '');
  if (!m) throw new HttpError(401, 'login_required', '请先登录');
  return m[1].trim();
}

function dbError(fn: string, error: { message?: string; hint?: string | null; code?: string }): HttpError {
  if (error.code === 'P0001' && error.message) return new HttpError(400, error.message, error.hint ?? '操作失败');
  if (error.code === 'PGRST301' || error.code === 'PGRST303' || error.code === '42501') {
    return new HttpError(401, 'login_required', '请先登录');
  }
  console.error(`projection rpc ${fn} failed:`, error);
  return new HttpError(500, 'internal_error', '服务暂时不可用，请稍后再试');
}

async function queueModel(queueId: number, now: number): Promise<Cached> {
  const hour = Math.floor(now / HOUR_MS);
  const hit = cache.get(queueId);
  if (hit && hit.hour === hour) return hit;
  const { data, error } = await serviceClient(readConfig()).rpc('projection_queue_input', { p_queue_id: queueId });
  if (error) throw dbError('projection_queue_input', error);
  const input = data as QueueInput;
  const model = modelFromQueueInput(input, { seed: seedFrom(`${queueId}:${hour}`), runs: PROJECTION_RUNS });
  const fresh = { hour, input, model };
  cache.set(queueId, fresh);
  return fresh;
}

const projection = postJson(async (body, req) => {
  const entryId = body.entry_id;
  if (typeof entryId !== 'number' || !Number.isSafeInteger(entryId) || entryId <= 0) {
    throw new HttpError(400, 'invalid_entry', '排队名额无效');
  }
  const mine = await userClient(readConfig(), bearerToken(req)).rpc('my_entry_projection_input', { p_entry_id: entryId });
  if (mine.error) throw dbError('my_entry_projection_input', mine.error);
  const entry = (mine.data as EntryInput[])[0];
  const base = { entry_id: entry.entry_id, queue_id: entry.queue_id, status: entry.status };
  if (entry.status !== 'waiting') return { ...base, estimate: { kind: 'ended' }, headline: '', note: '' };
  const { input, model } = await queueModel(entry.queue_id, Date.now());
  const method = {
    runs: model.kind === 'ok' ? model.runs : 0,
    horizon_days: HORIZON_DAYS,
    min_history_days: MIN_HISTORY_DAYS,
    history_days: model.historyDays,
    window_days: model.kind === 'ok' ? model.windowDays : 0,
    computed_at: input.as_of,
  };
  if (!entry.amounts_shown || entry.eligible_ahead_fen === null || entry.remaining_fen === null) {
    return { ...base, estimate: { kind: 'unknown', reason: 'hidden' }, headline: '无法估计', note: '队列金额未公开，无法估计', method };
  }
  if (model.kind === 'unknown') {
    const text = describeProjection(model, null);
    return { ...base, estimate: { kind: 'unknown', reason: model.reason }, ...text, method };
  }
  const need = Number(entry.eligible_ahead_fen) + Number(entry.remaining_fen);
  const p = projectAmount(model, need);
  return {
    ...base,
    estimate: {
      kind: 'range',
      need_fen: need,
      p10_day: p.p10Day,
      p50_day: p.p50Day,
      p90_day: p.p90Day,
      p_before_clearing: p.pBeforeClearing,
      next_clearing_at: input.next_clearing_at,
    },
    ...describeProjection(model, p),
    method,
  };
});

/** POST {entry_id} with the member's token → {entry_id, queue_id, status, estimate, headline, note, method}. */
export const handleProjection: Handler = projection;
