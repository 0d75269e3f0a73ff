// 财务 / 超级管理员: approve a withdrawal and pay it by WeChat Pay merchant transfer (docs/payments.md).
import { handleWithdrawalTransfer } from '../_shared/transfers.ts';

Deno.serve(handleWithdrawalTransfer);
