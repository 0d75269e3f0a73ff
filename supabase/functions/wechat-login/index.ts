// POST {code} from wx.login() → {access_token, token_type, expires_in, expires_at, user}.
import { handleWechatLogin } from '../_shared/login.ts';

Deno.serve(handleWechatLogin);
