// Scheduled job (service role only): refunds under way that are due — sent again with the same
// out_refund_no when WeChat never answered, queried (GET …/refunds/{out_refund_no}) when
// PROCESSING or ABNORMAL. docs/payments.md "Refunds".
import { handleRefundQuery } from '../_shared/refund.ts';

Deno.serve(handleRefundQuery);
