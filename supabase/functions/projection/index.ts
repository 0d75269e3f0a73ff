// POST {entry_id} with the member's token → the projected completion of that waiting entry:
// {estimate: {kind: 'range', p10_day, p50_day, p90_day, p_before_clearing} | {kind: 'unknown', reason},
//  headline: '预计 12–30 天（80% 区间）', note, method}. Cached per queue and hour (docs/projection.md).
import { handleProjection } from '../_shared/projection.ts';

Deno.serve(handleProjection);
