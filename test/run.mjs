// `npm test`: builds what the weapp and e2e layers load (dist/weapp, dist/h5), then runs jest.
// Set SKIP_BUILD=1 to reuse existing builds while iterating.
import { spawnSync } from 'node:child_process';

function run(cmd, args, env = {}) {
  const r = spawnSync(cmd, args, { stdio: 'inherit', env: { ...process.env, ...env } });
  if (r.status !== 0) process.exit(r.status ?? 1);
}

const jestArgs = process.argv.slice(2);
if (!process.env.SKIP_BUILD) {
  run('npm', ['run', '--silent', 'build:weapp'], { NODE_ENV: 'production' });
  run('npm', ['run', '--silent', 'build:h5'], { NODE_ENV: 'production', TARO_APP_SUPABASE_URL: 'same-origin' });
}
const nodeOptions = [process.env.NODE_OPTIONS, '--experimental-vm-modules', '--no-warnings=ExperimentalWarning'].filter(Boolean).join(' ');
run('npx', ['jest', ...jestArgs], { NODE_OPTIONS: nodeOptions });
