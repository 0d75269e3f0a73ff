// WeChat Pay's payment and refund notifications (no JWT: verify_jwt = false in config.toml).
// Verified with the WeChat Pay public key, decrypted with the APIv3 key, applied once; 204 when
// done, 4XX/5XX {code: 'FAIL', message} to make WeChat retry.
import { handlePayNotify } from '../_shared/pay.ts';

Deno.serve(handlePayNotify);
