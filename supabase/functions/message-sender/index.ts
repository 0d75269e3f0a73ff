// The message-sender job (pg_cron / the local timer, as the service role): POST {limit?} sends one
// batch of due subscribe messages to WeChat and answers {claimed, sent, not_subscribed, retry, dead}.
import { handleMessageSender } from '../_shared/message-sender.ts';

Deno.serve(handleMessageSender);
