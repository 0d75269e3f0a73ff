// Local development only (REBATE_LOCAL_DEV=1): POST {member_code} → the same session as wechat-login.
// Everywhere else it answers 404.
import { handleDevLogin } from '../_shared/login.ts';

Deno.serve(handleDevLogin);
