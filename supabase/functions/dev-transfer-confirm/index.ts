// Local demo only: the member's 确认收款 through the fake WeChat's confirm page; 404 unless REBATE_LOCAL_DEV=1.
import { handleDevTransferConfirm } from '../_shared/transfers.ts';

Deno.serve(handleDevTransferConfirm);
