// The operators' console's scan login (扫码登录): POST {action: 'create'} → a one-time ticket for
// the QR code; POST {ticket, secret} → pending, or once a member holding a console role confirmed
// it in the mini-program, an 8-hour session for that member.
import { handleConsoleLogin } from '../_shared/console-login.ts';

Deno.serve(handleConsoleLogin);
