// Scheduled job (service role only): downloads a day's WeChat Pay trade bill and reconciles it (对账).
import { handleStatementJob } from '../_shared/statements.ts';

Deno.serve(handleStatementJob);
