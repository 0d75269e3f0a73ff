// 订单 → 退款 and 退款售后 → 同意 / 重试 in the console (staff token; the database checks 财务 /
// 超级管理员): records the refund, asks WeChat Pay (POST /v3/refund/domestic/refunds) and
// answers the refund's state. docs/payments.md "Refunds".
import { handleRefundStart } from '../_shared/refund.ts';

Deno.serve(handleRefundStart);
