// `npm test`: builds what the weapp and e2e layers load (dist/weapp, dist/h5, dist/console), then runs jest.
// Set SKIP_BUILD=1 to reuse existing builds while iterating.
import { spawnSync } from 'node:child_process';

function run(cmd, args, env = {}, { quiet = false } = {}) {
  const r = spawnSync(cmd, args, { stdio: quiet ? 'pipe' : 'inherit', env: { ...process.env, ...env }, maxBuffer: 64 * 1024 * 1024 });
  if (r.status !== 0) {
    if (quiet) process.stderr.write(`${r.stdout}\n${r.stderr}`.slice(-20000));
    process.exit(r.status ?? 1);
  }
}

const jestArgs = process.argv.slice(2);
if (!process.env.SKIP_BUILD) {
  const t0 = Date.now();
  run('npm', ['run', '--silent', 'build:weapp'], { NODE_ENV: 'production' }, { quiet: true });
  run('npm', ['run', '--silent', 'build:h5'], { NODE_ENV: 'production', TARO_APP_SUPABASE_URL: 'same-origin' }, { quiet: true });
  run('npm', ['run', '--silent', 'build:console'], { NODE_ENV: 'production' }, { quiet: true });
  console.log(`built dist/weapp, dist/h5 and dist/console in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
}
const nodeOptions = [process.env.NODE_OPTIONS, '--experimental-vm-modules', '--no-warnings=ExperimentalWarning'].filter(Boolean).join(' ');
run('npx', ['jest', ...jestArgs], { NODE_OPTIONS: nodeOptions });
