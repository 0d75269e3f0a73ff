// ESM view of wechat-fake.cjs.
import m from './wechat-fake.cjs';

export const { startWechatFake } = m;
