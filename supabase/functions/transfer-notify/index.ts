// WeChat Pay's merchant transfer notifications (MCHTRANSFER.BILL.FINISHED; no JWT: verify_jwt =
// false in config.toml). Verified, decrypted, applied once; 204 when done, 4XX/5XX to make WeChat retry.
import { handleTransferNotify } from '../_shared/transfers.ts';

Deno.serve(handleTransferNotify);
