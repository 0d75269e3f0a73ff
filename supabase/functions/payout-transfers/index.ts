// Scheduled job (service role only): sends, queries and cancels merchant transfers, a batch per call.
import { handlePayoutJob } from '../_shared/transfers.ts';

Deno.serve(handlePayoutJob);
