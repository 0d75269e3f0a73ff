// Draws the tab bar icons (client/assets/tabbar/*.png): WeChat wants local PNG files (≤ 40 KB,
// 81 × 81 px recommended), no network images. Shapes are described as "is this point inside",
// sampled 4 × 4 per pixel for smooth edges; grey for the idle tab, the accent for the selected.
// Run: npm run icons:tabbar (the PNGs are committed; rerun only to change them).
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pngjs from 'pngjs';

const { PNG } = pngjs;
const SIZE = 81;
const SAMPLES = 4;
const OUT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../client/assets/tabbar');
const COLOURS = { idle: [0x66, 0x66, 0x66], active: [0xe4, 0x39, 0x3c] };

const circle = (cx, cy, r) => (x, y) => (x - cx) ** 2 + (y - cy) ** 2 <= r * r;
const ring = (cx, cy, r, w) => (x, y) => { const d = Math.hypot(x - cx, y - cy); return d <= r && d >= r - w; };
const rect = (x0, y0, x1, y1, r = 0) => (x, y) => {
  if (x < x0 || x > x1 || y < y0 || y > y1) return false;
  const cx = Math.min(Math.max(x, x0 + r), x1 - r);
  const cy = Math.min(Math.max(y, y0 + r), y1 - r);
  return (x - cx) ** 2 + (y - cy) ** 2 <= r * r;
};
const union = (...shapes) => (x, y) => shapes.some((s) => s(x, y));
const minus = (a, b) => (x, y) => a(x, y) && !b(x, y);

/** 排队: people in a line (heads and bodies), the first one larger. */
const queue = union(
  circle(22, 27, 9), rect(11, 39, 33, 62, 8),
  circle(44, 31, 7), rect(35, 41, 53, 60, 7),
  circle(63, 34, 6), rect(55, 43, 71, 59, 6),
  rect(8, 66, 73, 70, 2),
);

/** 商城: a shopping bag with its handle. */
const mall = union(
  minus(rect(14, 28, 67, 72, 7), rect(20, 34, 61, 66, 3)),
  minus(ring(40.5, 28, 14, 5), (x, y) => y > 28),
  circle(30, 42, 3.5), circle(51, 42, 3.5),
);

/** 我的: a person (head and shoulders). */
const member = union(
  ring(40.5, 27, 15, 6),
  minus((x, y) => y >= 48 && ((x - 40.5) / 29) ** 2 + ((y - 72) / 24) ** 2 <= 1 && y <= 72,
    (x, y) => y < 72 && ((x - 40.5) / 23) ** 2 + ((y - 72) / 18) ** 2 <= 1),
  rect(11.5, 68, 69.5, 72, 2),
);

function draw(shape, [r, g, b]) {
  const png = new PNG({ width: SIZE, height: SIZE });
  for (let py = 0; py < SIZE; py += 1) {
    for (let px = 0; px < SIZE; px += 1) {
      let hits = 0;
      for (let sy = 0; sy < SAMPLES; sy += 1) {
        for (let sx = 0; sx < SAMPLES; sx += 1) {
          if (shape(px + (sx + 0.5) / SAMPLES, py + (sy + 0.5) / SAMPLES)) hits += 1;
        }
      }
      const i = (py * SIZE + px) * 4;
      png.data[i] = r;
      png.data[i + 1] = g;
      png.data[i + 2] = b;
      png.data[i + 3] = Math.round((255 * hits) / (SAMPLES * SAMPLES));
    }
  }
  return PNG.sync.write(png, { colorType: 6, deflateLevel: 9 });
}

fs.mkdirSync(OUT, { recursive: true });
for (const [name, shape] of Object.entries({ queue, mall, member })) {
  for (const [state, colour] of Object.entries(COLOURS)) {
    const file = path.join(OUT, `${name}${state === 'active' ? '-active' : ''}.png`);
    const bytes = draw(shape, colour);
    fs.writeFileSync(file, bytes);
    console.log(`${path.relative(process.cwd(), file)} ${bytes.length} B`);
  }
}
