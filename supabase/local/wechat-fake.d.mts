// ESM view of wechat-fake.d.cts (the declarations live there).
export * from './wechat-fake.cjs';
