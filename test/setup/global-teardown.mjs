export default async function globalTeardown() {
  if (globalThis.__REBATE_PG__) await globalThis.__REBATE_PG__.stop();
}
