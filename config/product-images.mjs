// Draws the demo catalogue's product pictures (client/assets/products/*.png, 240 × 240): flat
// illustrations shipped with the app, so the mall shows pictures without any image host. Shapes
// are "is this point inside" tests sampled 3 × 3 per pixel; each layer is painted over the last.
// Run: npm run images:products (the PNGs are committed; supabase/seed.sql points the demo products at them).
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pngjs from 'pngjs';

const { PNG } = pngjs;
const SIZE = 240;
const SAMPLES = 3;
const OUT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../client/assets/products');

const hex = (h) => [parseInt(h.slice(1, 3), 16), parseInt(h.slice(3, 5), 16), parseInt(h.slice(5, 7), 16)];
const circle = (cx, cy, r) => (x, y) => (x - cx) ** 2 + (y - cy) ** 2 <= r * r;
const ellipse = (cx, cy, rx, ry) => (x, y) => ((x - cx) / rx) ** 2 + ((y - cy) / ry) ** 2 <= 1;
const rect = (x0, y0, x1, y1, r = 0) => (x, y) => {
  if (x < x0 || x > x1 || y < y0 || y > y1) return false;
  const cx = Math.min(Math.max(x, x0 + r), x1 - r);
  const cy = Math.min(Math.max(y, y0 + r), y1 - r);
  return (x - cx) ** 2 + (y - cy) ** 2 <= r * r;
};
const union = (...s) => (x, y) => s.some((f) => f(x, y));
const minus = (a, b) => (x, y) => a(x, y) && !b(x, y);
const below = (shape, y0) => (x, y) => y >= y0 && shape(x, y);
const above = (shape, y0) => (x, y) => y <= y0 && shape(x, y);
/** A trapezoid from (xt0..xt1 at y0) to (xb0..xb1 at y1). */
const trapezoid = (y0, y1, xt0, xt1, xb0, xb1) => (x, y) => {
  if (y < y0 || y > y1) return false;
  const t = (y - y0) / (y1 - y0);
  return x >= xt0 + (xb0 - xt0) * t && x <= xt1 + (xb1 - xt1) * t;
};
/** A leaf: two circles' intersection, rotated by `angle` around (cx, cy). */
const leaf = (cx, cy, len, width, angle) => (x, y) => {
  const dx = x - cx;
  const dy = y - cy;
  const u = dx * Math.cos(-angle) - dy * Math.sin(-angle);
  const v = dx * Math.sin(-angle) + dy * Math.cos(-angle);
  const r = (len * len / 4 + width * width) / (2 * width);
  return (u ** 2 + (v - (width - r)) ** 2 <= r * r) && (u ** 2 + (v + (width - r)) ** 2 <= r * r);
};

const PICTURES = {
  // 明前龙井: a tea cup with steam and two leaves
  tea: ['#e8f3e4', [
    ['#ffffff', union(trapezoid(120, 190, 62, 178, 82, 158), rect(82, 180, 158, 196, 8))],
    ['#7fb069', trapezoid(126, 140, 64, 176, 67, 173)],
    ['#ffffff', ellipse(184, 150, 20, 22)],
    ['#e8f3e4', ellipse(184, 150, 10, 12)],
    ['#d9d9d9', ellipse(120, 202, 78, 8)],
    ['#4f8a3c', leaf(92, 70, 70, 18, -0.6)],
    ['#6aa84f', leaf(150, 62, 64, 16, 0.5)],
  ]],
  // 五常大米: a bowl heaped with rice, chopsticks
  rice: ['#f5dfb3', [
    ['#ffffff', union(circle(92, 112, 16), circle(118, 100, 20), circle(146, 110, 17), circle(104, 96, 12), circle(134, 92, 12))],
    ['#ffffff', above(ellipse(120, 124, 88, 16), 124)],
    ['#f4ecd8', ellipse(120, 124, 80, 10)],
    ['#c0392b', below(ellipse(120, 124, 84, 70), 124)],
    ['#a5281b', rect(100, 188, 140, 200, 4)],
    ['#8b5a2b', (x, y) => Math.abs((y - 40) - (x - 150) * -1.6) < 5 && y > 30 && y < 110],
    ['#8b5a2b', (x, y) => Math.abs((y - 40) - (x - 170) * -1.6) < 5 && y > 30 && y < 110],
  ]],
  // 压榨花生油: a bottle with a yellow label
  oil: ['#fff6d6', [
    ['#f5c542', union(rect(88, 80, 152, 206, 18), trapezoid(56, 82, 104, 136, 90, 150), rect(106, 36, 134, 60, 4))],
    ['#c0392b', rect(104, 28, 136, 44, 6)],
    ['#ffffff', rect(92, 118, 148, 170, 6)],
    ['#b8860b', union(ellipse(112, 144, 10, 14), ellipse(128, 144, 10, 14))],
    ['#ffe58a', rect(96, 88, 104, 200, 4)],
  ]],
  // 原木抽纸: a tissue box with a sheet
  tissue: ['#e9f1fb', [
    ['#ffffff', union(ellipse(120, 80, 34, 40), trapezoid(60, 104, 96, 144, 80, 160))],
    ['#5b8def', rect(40, 100, 200, 196, 14)],
    ['#3f6fd1', rect(40, 100, 200, 120, 10)],
    ['#ffffff', ellipse(120, 110, 46, 8)],
    ['#8fb0f3', union(circle(76, 158, 10), circle(120, 162, 10), circle(164, 158, 10))],
  ]],
  // 手冲咖啡: a coffee cup on a saucer with steam
  coffee: ['#f3e9e1', [
    ['#dcc7b8', ellipse(120, 196, 86, 14)],
    ['#ffffff', union(trapezoid(96, 186, 58, 170, 76, 152))],
    ['#ffffff', minus(ellipse(176, 136, 24, 26), ellipse(176, 136, 12, 14))],
    ['#6f4e37', ellipse(114, 100, 54, 8)],
    ['#b08968', union(rect(88, 40, 94, 80, 3), rect(112, 30, 118, 80, 3), rect(136, 40, 142, 80, 3))],
  ]],
  // 芝士蛋糕: a slice of cheesecake with a strawberry
  cake: ['#fdecef', [
    ['#e0b97f', trapezoid(170, 186, 40, 200, 40, 200)],
    ['#ffe7a3', (x, y) => y >= 100 && y <= 172 && x >= 40 && x <= 200 && y >= 172 - (x - 40) * 0.45],
    ['#fff3c9', (x, y) => y >= 96 && y <= 112 && x >= 40 && x <= 200 && y >= 112 - (x - 40) * 0.45 - 4 && y <= 172 - (x - 40) * 0.45],
    ['#e74c3c', union(circle(160, 76, 18), ellipse(160, 92, 14, 12))],
    ['#27ae60', union(leaf(152, 58, 18, 5, -0.5), leaf(168, 58, 18, 5, 0.5))],
  ]],
};

function draw(background, layers) {
  const png = new PNG({ width: SIZE, height: SIZE });
  const bg = hex(background);
  const paints = layers.map(([colour, shape]) => [hex(colour), shape]);
  for (let py = 0; py < SIZE; py += 1) {
    for (let px = 0; px < SIZE; px += 1) {
      const sum = [0, 0, 0];
      for (let sy = 0; sy < SAMPLES; sy += 1) {
        for (let sx = 0; sx < SAMPLES; sx += 1) {
          const x = px + (sx + 0.5) / SAMPLES;
          const y = py + (sy + 0.5) / SAMPLES;
          let c = bg;
          for (const [colour, shape] of paints) if (shape(x, y)) c = colour;
          sum[0] += c[0]; sum[1] += c[1]; sum[2] += c[2];
        }
      }
      const i = (py * SIZE + px) * 4;
      const n = SAMPLES * SAMPLES;
      png.data[i] = Math.round(sum[0] / n);
      png.data[i + 1] = Math.round(sum[1] / n);
      png.data[i + 2] = Math.round(sum[2] / n);
      png.data[i + 3] = 255;
    }
  }
  return PNG.sync.write(png, { colorType: 2, deflateLevel: 9 });
}

fs.mkdirSync(OUT, { recursive: true });
for (const [name, [background, layers]] of Object.entries(PICTURES)) {
  const bytes = draw(background, layers);
  fs.writeFileSync(path.join(OUT, `${name}.png`), bytes);
  console.log(`client/assets/products/${name}.png ${bytes.length} B`);
}
