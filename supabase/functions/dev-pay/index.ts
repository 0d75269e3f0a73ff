// Local development only (REBATE_LOCAL_DEV=1): POST {order_id, complete?} marks the caller's
// order paid (and optionally completed) as WeChat Pay's notification would. 404 elsewhere.
import { handleDevPay } from '../_shared/dev-pay.ts';

Deno.serve(handleDevPay);
