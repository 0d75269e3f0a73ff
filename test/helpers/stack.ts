// The whole local stack for one test file: its own database, the gateway, the edge functions
// (real Deno, local mode), the fake WeChat server and the H5 build served with its API on one origin.
import path from 'node:path';
import type { TestDb } from './db';
import { startTestGateway, TestGateway, JWT_SECRET, ANON_KEY, SERVICE_ROLE_KEY } from './gateway';
import { startFunctions } from '../../supabase/local/functions.cjs';
import { startWechatFake } from '../../supabase/local/wechat-fake.cjs';
import { serveH5 } from '../../supabase/local/h5-server.cjs';
import { freePort } from './ports.cjs';

export const ROOT = path.resolve(__dirname, '../..');
export const E2E_APPID = 'wx00000000000e2eapp';
const E2E_SECRET = 'e2e-secret';

export interface TestStack {
  gateway: TestGateway;
  h5Url: string;
  wechat: Awaited<ReturnType<typeof startWechatFake>>;
  close(): Promise<void>;
}

/** options.pay: WeChat Pay configured in the functions, pointing at the fake (pay-notify through the gateway). */
export async function startTestStack(db: TestDb, options: { pay?: boolean } = {}): Promise<TestStack> {
  const wechat = await startWechatFake({ appid: E2E_APPID, secret: E2E_SECRET });
  const functionsPort = await freePort();
  const gateway = await startTestGateway(db, { functionsUrl: `http://127.0.0.1:${functionsPort}` });
  const functions = await startFunctions({
    port: functionsPort,
    quiet: true,
    env: {
      SUPABASE_URL: gateway.url, SUPABASE_ANON_KEY: ANON_KEY, SUPABASE_SERVICE_ROLE_KEY: SERVICE_ROLE_KEY, JWT_SECRET,
      WECHAT_API_BASE: wechat.url, WECHAT_APPID: E2E_APPID, WECHAT_SECRET: E2E_SECRET, REBATE_LOCAL_DEV: '1',
      ...(options.pay ? wechat.pay.env(`${gateway.url}/functions/v1/pay-notify`) : {}),
    },
  });
  const h5 = await serveH5({ dir: path.join(ROOT, 'dist/h5'), apiUrl: gateway.url });
  return {
    gateway,
    h5Url: h5.url,
    wechat,
    close: async () => {
      await h5.close();
      await functions.stop();
      await gateway.close();
      await wechat.stop();
    },
  };
}
