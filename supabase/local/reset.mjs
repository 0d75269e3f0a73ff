// `npm run reset`: wipes the local database (the next `npm start` creates it afresh).
import fs from 'node:fs';
import path from 'node:path';
import { LOCAL_DIR } from './env.mjs';

const dir = path.join(LOCAL_DIR, 'pgdata');
if (fs.existsSync(path.join(dir, 'postmaster.pid'))) {
  console.error('The local stack seems to be running (postmaster.pid exists): stop `npm start` first.');
  process.exit(1);
}
fs.rmSync(dir, { recursive: true, force: true });
console.log(`removed ${dir}`);
