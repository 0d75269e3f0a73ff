// Scheduled job (service role only): pending orders past their payment window — queried at
// WeChat Pay (a lost payment is accepted), else closed there and cancelled here with their
// deductions returned. docs/payments.md "Expiry".
import { handleOrderExpiry } from '../_shared/order-expiry.ts';

Deno.serve(handleOrderExpiry);
