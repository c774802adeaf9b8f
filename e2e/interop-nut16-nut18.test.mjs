// Interoperability of our NUT-16 (animated QR) and NUT-18 (payment request) codecs, `shared::nut16` and
// `shared::nut18`, called through loadgen's `cashu-codec` binary:
// - NUT-16 against `@gandlaf21/bc-ur` (the BC-UR library NUT-16 names, which cashu.me uses): our frames of
//   random texts up to 20 KB, with frames dropped and repeated, decode with bc-ur's decoder, and bc-ur's
//   frames (cashu.me's fragment lengths 50, 100 and 150) decode with ours. `@cashu/cashu-ts` has no UR code,
//   so bc-ur is the independent implementation here.
// - NUT-18 against `@cashu/cashu-ts` (its `PaymentRequest` class): `creqA` texts it makes decode with ours
//   to the same fields, and ours decode with it.
//
// Needs CASHU_CODEC_BIN (default: `cashu-codec` beside MINT_BIN, else ../target/debug/cashu-codec);
// `cargo test --workspace` builds it. No mint, no browser.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { PaymentRequest, PaymentRequestTransportType, decodePaymentRequest } from '@cashu/cashu-ts';
import { UR, UREncoder, URDecoder } from './support/bc-ur.mjs';

const codecBin =
  process.env.CASHU_CODEC_BIN ??
  join(dirname(process.env.MINT_BIN ?? resolve('../target/debug/mint-server')), 'cashu-codec');

function codec(args, input) {
  if (!existsSync(codecBin)) {
    throw new Error(`no cashu-codec at ${codecBin}: run cargo build -p loadgen (or set CASHU_CODEC_BIN)`);
  }
  const run = spawnSync(codecBin, args, { input, encoding: 'utf8', maxBuffer: 64 << 20 });
  if (run.error) throw run.error;
  return run;
}

function codecOk(args, input) {
  const run = codec(args, input);
  assert.equal(run.status, 0, `cashu-codec ${args.join(' ')} failed: ${run.stderr}`);
  return run.stdout;
}

// A seeded generator (xorshift32), so a failure can be replayed: the seed is in the test's name.
function rng(seed) {
  let state = seed >>> 0 || 1;
  const next = () => {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    return (state >>> 0) / 2 ** 32;
  };
  return { next, int: (n) => Math.floor(next() * n) };
}

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
/** A token-like text of `len` characters, with a few multi-byte characters. */
function payload(r, len) {
  let text = 'cashuB';
  while (text.length < len) text += r.int(40) === 0 ? 'é€'[r.int(2)] : ALPHABET[r.int(64)];
  return text;
}

/** What a camera delivers: 30 % of the frames missed, 10 % seen twice, out of order within windows of 8. */
function camera(r, frames) {
  const seen = [];
  for (const frame of frames) {
    const roll = r.int(100);
    if (roll < 30) continue;
    seen.push(frame);
    if (roll >= 90) seen.push(frame);
  }
  for (let start = 0; start < seen.length; start += 8) {
    const end = Math.min(start + 8, seen.length);
    for (let i = end - 1; i > start; i--) {
      const j = start + r.int(i - start + 1);
      [seen[i], seen[j]] = [seen[j], seen[i]];
    }
  }
  return seen;
}

const fragmentsOf = (frame) => Number(/^ur:bytes\/\d+-(\d+)\//i.exec(frame)[1]);

const SEEDS = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12];
const length = (r, i) => (i === 0 ? 20_480 : i === 1 ? 401 : 401 + r.int(20_480 - 400));

for (const [i, seed] of SEEDS.entries()) {
  test(`NUT-16: our frames decode with @gandlaf21/bc-ur (seed ${seed})`, () => {
    const r = rng(seed);
    const text = payload(r, length(r, i));
    const first = codecOk(['ur-encode', '--frames', '1'], text).trim();
    assert.match(first, /^UR:BYTES\/1-\d+\//);
    const n = fragmentsOf(first);
    const frames = codecOk(['ur-encode', '--frames', String(4 * n + 20)], text).trim().split('\n');
    const decoder = new URDecoder();
    let used = 0;
    for (const frame of camera(r, frames)) {
      decoder.receivePart(frame);
      used++;
      if (decoder.isComplete()) break;
    }
    assert.ok(decoder.isComplete() && decoder.isSuccess(), `bc-ur incomplete after ${used} frames (${n} fragments)`);
    assert.equal(Buffer.from(decoder.resultUR().decodeCBOR()).toString('utf8'), text);
  });

  test(`NUT-16: @gandlaf21/bc-ur frames decode with ours (seed ${seed})`, () => {
    const r = rng(seed + 1000);
    const text = payload(r, length(r, i));
    const fragmentLength = [50, 100, 150][i % 3];
    const encoder = new UREncoder(UR.fromBuffer(Buffer.from(text)), fragmentLength, 0);
    const n = encoder.fragmentsLength;
    const frames = Array.from({ length: 4 * n + 20 }, () => encoder.nextPart());
    const scanned = camera(r, frames).map((f) => (r.int(2) ? f.toUpperCase() : f));
    const run = codec(['ur-decode'], scanned.join('\n') + '\n');
    assert.equal(run.status, 0, `ours incomplete (${n} fragments of ${fragmentLength}): ${run.stderr.slice(-300)}`);
    assert.equal(run.stdout, text);
  });
}

test('NUT-16: a short text is one static code; a bc-ur single-part UR decodes with ours', () => {
  const text = payload(rng(99), 300);
  assert.equal(codecOk(['ur-encode'], text), `${text}\n`);
  const single = new UREncoder(UR.fromBuffer(Buffer.from(text)), 1000, 0).nextPart();
  assert.match(single, /^ur:bytes\/[a-z]+$/);
  assert.equal(codecOk(['ur-decode'], `${single}\n`), text);
});

test('NUT-16: a UR of another type is rejected, not assembled', () => {
  const other = new UREncoder(new UR(Buffer.from(payload(rng(5), 600)), 'crypto-psbt'), 100, 0);
  const run = codec(['ur-decode'], Array.from({ length: 30 }, () => other.nextPart()).join('\n'));
  assert.equal(run.status, 2);
  assert.match(run.stderr, /unsupported UR type "crypto-psbt"/);
});

/** Without the absent and empty parts (they encode to nothing). */
function compact(object) {
  const out = {};
  for (const [key, value] of Object.entries(object)) {
    if (value === undefined || value === null) continue;
    if (Array.isArray(value) && value.length === 0) continue;
    out[key] = value;
  }
  return out;
}

/** A request in the spec's JSON form, compared field by field (`s: false` is the same as no `s`). */
function normalize(raw) {
  const out = compact(raw);
  if (out.s === false) delete out.s;
  if (out.a !== undefined) out.a = BigInt(out.a).toString();
  if (out.t) out.t = out.t.map(compact);
  if (out.nut10) out.nut10 = compact(out.nut10);
  return out;
}

function randomRequest(r) {
  const word = (n) => Array.from({ length: 1 + r.int(n) }, () => ALPHABET[r.int(64)]).join('');
  const transports = Array.from({ length: r.int(3) }, () =>
    r.int(2)
      ? { type: PaymentRequestTransportType.NOSTR, target: `nprofile1${word(60)}`, tags: [['n', '17']] }
      : { type: PaymentRequestTransportType.POST, target: `https://${word(12)}.example/pay` },
  );
  const amount = r.int(3) ? 1 + r.int(2 ** 31) : undefined;
  return new PaymentRequest(
    transports,
    r.int(4) ? word(8) : undefined,
    amount,
    amount !== undefined || r.int(2) ? ['sat', 'usd', 'msat'][r.int(3)] : undefined,
    Array.from({ length: r.int(3) }, () => `https://mint${r.int(9)}.example.com`),
    r.int(2) ? `Coffee ☕ ${word(20)}` : undefined,
    r.int(2) === 1,
    r.int(2)
      ? { kind: 'P2PK', data: `02${'ab'.repeat(32)}`, tags: r.int(2) ? [['locktime', String(r.int(1e9))]] : [] }
      : undefined,
  );
}

test('NUT-18: creqA texts made by @cashu/cashu-ts decode with ours to the same fields', () => {
  const r = rng(42);
  for (let k = 0; k < 40; k++) {
    const request = randomRequest(r);
    const encoded = request.toEncodedCreqA();
    const ours = JSON.parse(codecOk(['creq-decode'], encoded));
    assert.deepEqual(normalize(ours), normalize(request.toRawRequest()), encoded);
  }
});

test('NUT-18: our creqA texts decode with @cashu/cashu-ts to the same fields', () => {
  const r = rng(43);
  const requests = [
    // The spec's minimal request (in-band) and one with every field.
    { i: '7f4a2b39', u: 'sat', m: ['https://mint.example.com'] },
    {
      i: '4840f51e',
      a: 1000,
      u: 'sat',
      s: true,
      m: ['https://mint.example.com'],
      d: 'Product purchase',
      t: [{ t: 'post', a: 'https://api.example.com/pay' }],
      nut10: { k: 'P2PK', d: `03${'ba'.repeat(32)}`, t: [['purpose', 'offline']] },
    },
  ];
  for (let k = 0; k < 40; k++) {
    const raw = randomRequest(r).toRawRequest();
    if (raw.a !== undefined) raw.a = Number(raw.a);
    requests.push(raw);
  }
  for (const raw of requests) {
    const encoded = codecOk(['creq-encode'], JSON.stringify(raw)).trim();
    assert.match(encoded, /^creqA[A-Za-z0-9_-]+=*$/);
    const theirs = decodePaymentRequest(encoded);
    assert.deepEqual(normalize(theirs.toRawRequest()), normalize(raw), encoded);
    assert.deepEqual(normalize(PaymentRequest.fromEncodedRequest(encoded).toRawRequest()), normalize(raw));
  }
});
