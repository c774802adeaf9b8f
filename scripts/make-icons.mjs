// Draws the wallet's PNG icons (the same design as wallet-web/public/icons/icon.svg) with no image library:
// anti-aliased by 4x4 supersampling, written with node's zlib. Run once after changing the design:
//   node scripts/make-icons.mjs
import { writeFileSync } from 'node:fs';
import { deflateSync } from 'node:zlib';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const out = join(dirname(fileURLToPath(import.meta.url)), '..', 'wallet-web', 'public', 'icons');
const BLUE = [0x2f, 0x5b, 0xd3];
const WHITE = [0xff, 0xff, 0xff];

const crcTable = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k += 1) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});
function crc32(bytes) {
  let c = 0xffffffff;
  for (const byte of bytes) c = crcTable[(c ^ byte) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}
function chunk(type, data) {
  const length = Buffer.alloc(4);
  length.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([length, body, crc]);
}
function png(size, pixel) {
  const raw = Buffer.alloc(size * (size * 4 + 1));
  for (let y = 0; y < size; y += 1) {
    raw[y * (size * 4 + 1)] = 0;
    for (let x = 0; x < size; x += 1) {
      const [r, g, b, a] = pixel(x, y);
      raw.set([r, g, b, a], y * (size * 4 + 1) + 1 + x * 4);
    }
  }
  const header = Buffer.alloc(13);
  header.writeUInt32BE(size, 0);
  header.writeUInt32BE(size, 4);
  header.set([8, 6, 0, 0, 0], 8);
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', header),
    chunk('IDAT', deflateSync(raw, { level: 9 })),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

/** An icon of `size` px; in 512-unit design space: background (rounded or full), ring and dot. */
function icon(size, { corner, ring, ringWidth, dot, opaque }) {
  const scale = 512 / size;
  const inside = (u, v) => {
    // which colour the design has at (u, v), or null for transparent
    const cu = Math.min(Math.max(u, corner), 512 - corner);
    const cv = Math.min(Math.max(v, corner), 512 - corner);
    if (corner > 0 && Math.hypot(u - cu, v - cv) > corner) return null;
    const d = Math.hypot(u - 256, v - 256);
    if (d <= dot || Math.abs(d - ring) <= ringWidth / 2) return WHITE;
    return BLUE;
  };
  return png(size, (x, y) => {
    let r = 0; let g = 0; let b = 0; let a = 0;
    for (let i = 0; i < 4; i += 1) {
      for (let j = 0; j < 4; j += 1) {
        const colour = inside((x + (i + 0.5) / 4) * scale, (y + (j + 0.5) / 4) * scale) ?? (opaque ? BLUE : null);
        if (colour) { r += colour[0]; g += colour[1]; b += colour[2]; a += 1; }
      }
    }
    if (a === 0) return [0, 0, 0, 0];
    return [Math.round(r / a), Math.round(g / a), Math.round(b / a), Math.round((a / 16) * 255)];
  });
}

const standard = { corner: 112, ring: 150, ringWidth: 36, dot: 62, opaque: false };
writeFileSync(join(out, 'icon-192.png'), icon(192, standard));
writeFileSync(join(out, 'icon-512.png'), icon(512, standard));
writeFileSync(join(out, 'apple-touch-icon.png'), icon(180, { ...standard, corner: 0, opaque: true }));
writeFileSync(join(out, 'maskable-512.png'), icon(512, { corner: 0, ring: 120, ringWidth: 30, dot: 50, opaque: true }));
