// An independent verifier of the offline coins, written from docs/offline-coins.md alone (no Rust code read
// for it), with @noble/curves and @noble/hashes. It checks every frozen vector of
// shared/tests/vectors/offline-v1.json (generators, keyset id, registration, withdrawal transcript -> coin,
// coin check, payment, deposit signature, receipts, double-spend evidence and the extracted identity, and the
// deterministic derivations of Appendix B), and that a flipped byte makes each check fail.
//
// Run: `node --test offline-spec-verify.mjs` in e2e/ (scripts/test does, as "offline spec (node)").
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { secp256k1, schnorr, secp256k1_hasher } from '@noble/curves/secp256k1.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { hmac } from '@noble/hashes/hmac.js';
import { bytesToHex, hexToBytes, concatBytes, utf8ToBytes } from '@noble/hashes/utils.js';

const VECTORS = JSON.parse(
  readFileSync(new URL('../shared/tests/vectors/offline-v1.json', import.meta.url), 'utf8'),
);
const Point = secp256k1.Point;
const q = Point.Fn.ORDER;
const G = Point.BASE;

// ---- Encodings (section "Notation and encodings") ----
const fail = (what) => {
  throw new Error(what);
};
const mod = (x) => ((x % q) + q) % q;
function inv(x) {
  // Fermat: x^(q-2) mod q; x != 0.
  if (mod(x) === 0n) fail('inverse of zero');
  let result = 1n;
  let base = mod(x);
  let e = q - 2n;
  while (e > 0n) {
    if (e & 1n) result = (result * base) % q;
    base = (base * base) % q;
    e >>= 1n;
  }
  return result;
}
function bytesHex(text, length) {
  if (typeof text !== 'string' || text.length !== 2 * length || !/^[0-9a-fA-F]*$/.test(text)) {
    fail(`expected ${2 * length} hex characters`);
  }
  return hexToBytes(text.toLowerCase());
}
function point(text) {
  const bytes = bytesHex(text, 33);
  if (bytes[0] !== 0x02 && bytes[0] !== 0x03) fail('point prefix must be 02 or 03');
  const p = Point.fromBytes(bytes); // throws when x has no point on the curve
  if (p.is0()) fail('identity point');
  return p;
}
const enc = (p) => p.toBytes(true);
function scalar(text) {
  const x = BigInt('0x' + bytesHex(text, 32).reduce((s, b) => s + b.toString(16).padStart(2, '0'), ''));
  if (x === 0n || x >= q) fail('scalar out of [1, q-1]');
  return x;
}
const ser32 = (x) => hexToBytes(mod(x).toString(16).padStart(64, '0'));
function beN(value, bytes) {
  const v = BigInt(value);
  if (v < 0n || v >= 1n << BigInt(8 * bytes)) fail('integer out of range');
  return hexToBytes(v.toString(16).padStart(2 * bytes, '0'));
}
function uint(value) {
  if (!Number.isSafeInteger(value) || value < 0) fail('expected an unsigned integer');
  return BigInt(value);
}
function denomination(amount) {
  const a = uint(amount);
  if (a === 0n || (a & (a - 1n)) !== 0n) fail(`amount ${amount} is not a power of two`);
  const j = a.toString(2).length - 1;
  if (j > 63) fail('denomination above 63');
  return j;
}
const int32 = (bytes) => BigInt('0x' + bytesToHex(bytes));
// Vartime multiplication by any scalar mod q (0 allowed), as the checks need.
const mul = (p, k) => (mod(k) === 0n ? Point.ZERO : p.multiplyUnsafe(mod(k)));

// ---- Hashes (section "Hashes and tags") ----
function TH(tag, ...parts) {
  const t = sha256(utf8ToBytes(tag));
  return sha256(concatBytes(t, t, ...parts));
}
function Hq(tag, ...parts) {
  const x = int32(TH(tag, ...parts)) % q;
  if (x === 0n) fail('hash reduced to zero');
  return x;
}

// ---- Generators ----
const GEN = VECTORS.generators;
function hashToCurve(message, dst) {
  return secp256k1_hasher.hashToCurve(utf8ToBytes(message), { DST: dst });
}
const g1 = hashToCurve('offline/v1/g1', 'CASH-OFFLINE-V1-with-secp256k1_XMD:SHA-256_SSWU_RO_');
const g2 = hashToCurve('offline/v1/g2', 'CASH-OFFLINE-V1-with-secp256k1_XMD:SHA-256_SSWU_RO_');

// ---- Keysets ----
function keysetId(keyset) {
  const [from, until, deadline] = [uint(keyset.valid_from), uint(keyset.valid_until), uint(keyset.deposit_deadline)];
  if (!(from < until && until <= deadline)) fail('keyset times out of order');
  const entries = Object.entries(keyset.keys).map(([amount, key]) => {
    if (!/^[1-9][0-9]*$/.test(amount)) fail('amount key must be decimal');
    return [BigInt(amount), key];
  });
  if (entries.length < 1 || entries.length > 64) fail('keyset size');
  entries.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  const unit = utf8ToBytes(keyset.unit.replace(/[A-Z]/g, (c) => c.toLowerCase()));
  const parts = [beN(unit.length, 2), unit, beN(from, 8), beN(until, 8), beN(deadline, 8)];
  for (const [amount, key] of entries) {
    parts.push(Uint8Array.of(denomination(Number(amount))), enc(point(key)));
  }
  return bytesToHex(TH('offline/v1/keyset', ...parts));
}
function verifyKeysetId(keyset) {
  if (keysetId(keyset) !== keyset.id.toLowerCase()) fail('keyset id mismatch');
}
function keyFor(keyset, amount) {
  denomination(amount);
  const key = keyset.keys[String(amount)];
  if (key === undefined) fail(`no key for amount ${amount}`);
  return point(key);
}
function checkPaymentTime(keyset, t) {
  if (!(uint(keyset.valid_from) <= uint(t) && uint(t) <= uint(keyset.valid_until))) fail('outside validity');
}
function checkDepositTime(keyset, now) {
  if (!(uint(now) <= uint(keyset.deposit_deadline))) fail('deposit deadline passed');
}

// ---- Registration ----
const accountPoint = (I) => {
  const m = I.add(g2);
  if (m.is0()) fail('I + g2 is the identity');
  return m;
};
function verifyRegistration(reg, context) {
  const I = point(reg.identity);
  const T = point(reg.commitment);
  const sigma = scalar(reg.response);
  accountPoint(I);
  const c = Hq('offline/v1/reg', enc(I), enc(T), context);
  if (!mul(g1, sigma).equals(T.add(mul(I, c)))) fail('registration proof does not verify');
  return c;
}

// ---- The coin ----
function coinFields(coin) {
  return {
    kid: bytesHex(coin.id, 32),
    j: denomination(coin.amount),
    A: point(coin.A),
    B: point(coin.B),
    z: point(coin.z),
    a: point(coin.a),
    b: point(coin.b),
    r: scalar(coin.r),
  };
}
function signatureChallenge(f) {
  return Hq('offline/v1/sig', f.kid, Uint8Array.of(f.j), enc(f.A), enc(f.B), enc(f.z), enc(f.a), enc(f.b));
}
function coinCheck(coin, keyset) {
  if (coin.id.toLowerCase() !== keyset.id.toLowerCase()) fail('coin of another keyset');
  const h = keyFor(keyset, coin.amount);
  const f = coinFields(coin);
  const c = signatureChallenge(f);
  if (!mul(G, f.r).equals(mul(h, c).add(f.a))) fail('coin: r G != c h + a');
  if (!mul(f.A, f.r).equals(mul(f.z, c).add(f.b))) fail('coin: r A != c z + b');
  return c;
}
function coinBytes(coin) {
  const f = coinFields(coin);
  const out = concatBytes(f.kid, Uint8Array.of(f.j), enc(f.A), enc(f.B), enc(f.z), enc(f.a), enc(f.b), ser32(f.r));
  assert.equal(out.length, 230);
  return out;
}
const coinHash = (coin) => bytesToHex(TH('offline/v1/coin', coinBytes(coin)));

// ---- Payment ----
function paymentChallenge(coin, payee, nonce, time) {
  const f = coinFields(coin);
  return Hq(
    'offline/v1/pay',
    f.kid,
    Uint8Array.of(f.j),
    enc(f.A),
    enc(f.B),
    enc(point(payee)),
    bytesHex(nonce, 32),
    beN(uint(time), 8),
  );
}
function verifyResponse(coin, d, r1hex, r2hex) {
  const f = coinFields(coin);
  const lhs = mul(g1, scalar(r1hex)).add(mul(g2, scalar(r2hex)));
  if (!lhs.equals(mul(f.A, d).add(f.B))) fail('payment response does not open B');
}
function verifyPayment(payment, request, keysets) {
  const coins = payment.coins;
  if (!Array.isArray(coins) || coins.length < 1 || coins.length > 64) fail('payment size');
  let paid = 0n;
  const serials = new Set();
  for (const spent of coins) {
    denomination(spent.coin.amount);
    paid += uint(spent.coin.amount);
    const serial = bytesToHex(enc(point(spent.coin.A)));
    if (serials.has(serial)) fail('coin twice');
    serials.add(serial);
  }
  if (paid >= 1n << 64n || paid !== uint(request.amount)) fail('amounts do not add up');
  for (const spent of coins) {
    const keyset = keysets.find((k) => k.id.toLowerCase() === spent.coin.id.toLowerCase()) ?? fail('unknown keyset');
    checkPaymentTime(keyset, request.time);
    coinCheck(spent.coin, keyset);
    const d = paymentChallenge(spent.coin, request.payee, request.nonce, request.time);
    verifyResponse(spent.coin, d, spent.r1, spent.r2);
  }
}

// ---- Deposit ----
const xOnly = (hex) => enc(point(hex)).slice(1);
function depositMessage(tr) {
  return TH(
    'offline/v1/deposit',
    coinBytes(tr.coin),
    enc(point(tr.payee)),
    bytesHex(tr.nonce, 32),
    beN(uint(tr.time), 8),
    ser32(scalar(tr.r1)),
    ser32(scalar(tr.r2)),
  );
}
function verifyTranscript(tr, keyset) {
  checkPaymentTime(keyset, tr.time);
  coinCheck(tr.coin, keyset);
  const d = paymentChallenge(tr.coin, tr.payee, tr.nonce, tr.time);
  verifyResponse(tr.coin, d, tr.r1, tr.r2);
  if (!schnorr.verify(bytesHex(tr.signature, 64), depositMessage(tr), xOnly(tr.payee))) {
    fail('payee signature does not verify');
  }
  return d;
}
function verifyDeposit(tr, keyset, now) {
  checkDepositTime(keyset, now);
  return verifyTranscript(tr, keyset);
}

// ---- Receipt ----
const OUTCOME = { paid: 1, double_spend: 2, refunded: 3 };
function receiptMessage(r) {
  const outcome = OUTCOME[r.outcome] ?? fail('unknown outcome');
  return TH(
    'offline/v1/receipt',
    bytesHex(r.coin, 32),
    bytesHex(r.transcript, 32),
    enc(point(r.payee)),
    Uint8Array.of(outcome),
    beN(uint(r.amount_paid), 8),
    beN(uint(r.amount_from_bond), 8),
    beN(uint(r.time), 8),
  );
}
function verifyReceipt(r, receiptKey) {
  if (uint(r.amount_from_bond) > uint(r.amount_paid)) fail('amount_from_bond above amount_paid');
  if (!schnorr.verify(bytesHex(r.signature, 64), receiptMessage(r), xOnly(receiptKey))) {
    fail('receipt signature does not verify');
  }
}
const receiptIsFor = (r, tr) =>
  r.coin.toLowerCase() === coinHash(tr.coin) && r.transcript.toLowerCase() === bytesToHex(depositMessage(tr));

// ---- Double-spend evidence ----
const sameCoin = (x, y) => bytesToHex(coinBytes(x)) === bytesToHex(coinBytes(y)) && uint(x.amount) === uint(y.amount);
function extract(first, second) {
  if (!sameCoin(first.coin, second.coin)) fail('different coins');
  const d1 = paymentChallenge(first.coin, first.payee, first.nonce, first.time);
  const d2 = paymentChallenge(second.coin, second.payee, second.nonce, second.time);
  if (d1 === d2) fail('equal challenges: not a double spend');
  const r2diff = mod(scalar(first.r2) - scalar(second.r2));
  if (r2diff === 0n) fail('r2 equal');
  const s = mod(r2diff * inv(d1 - d2));
  const u1 = mod((scalar(first.r1) - scalar(second.r1)) * inv(r2diff));
  const I = mul(g1, u1);
  if (I.is0()) fail('identity is O');
  if (!mul(I.add(g2), s).equals(point(first.coin.A))) fail('the coin is not bound to the extracted identity');
  return { s, u1, I };
}
function verifyEvidence(ev) {
  verifyKeysetId(ev.keyset);
  if (!sameCoin(ev.first.coin, ev.second.coin)) fail('different coins');
  const d1 = verifyTranscript(ev.first, ev.keyset);
  const d2 = verifyTranscript(ev.second, ev.keyset);
  if (d1 === d2) fail('equal challenges: not a double spend');
  return extract(ev.first, ev.second);
}

// ---- Appendix B ----
function hmacScalar(key, tag, ...parts) {
  for (let ctr = 0; ctr < 256; ctr++) {
    const x = int32(hmac(sha256, key, concatBytes(utf8ToBytes(tag), ...parts, Uint8Array.of(ctr))));
    if (x !== 0n && x < q) return x;
  }
  fail('no scalar');
}
const hex32 = (x) => bytesToHex(ser32(x));

// ---- Helpers for the negative cases ----
const clone = (x) => structuredClone(x);
// Flip the last hex digit of a string: one byte changes.
const flip = (hex) => hex.slice(0, -1) + ((parseInt(hex.slice(-1), 16) ^ 1).toString(16));

// =====================================================================================================
const V = VECTORS;
const keyset = V.keyset;

test('generators: RFC 9380 hash-to-curve of the fixed messages under the DST', () => {
  assert.equal(GEN.suite, 'secp256k1_XMD:SHA-256_SSWU_RO_');
  assert.equal(bytesToHex(enc(hashToCurve(GEN.g1_message, GEN.dst))), GEN.g1);
  assert.equal(bytesToHex(enc(g1)), GEN.g1);
  assert.equal(bytesToHex(enc(g2)), GEN.g2);
  // RFC 9380 J.8.1 known answer for the suite (msg ""), so the library runs the right suite.
  const rfc = hashToCurve('', 'QUUX-V01-CS02-with-secp256k1_XMD:SHA-256_SSWU_RO_');
  assert.equal(bytesToHex(enc(rfc)), '03c1cae290e291aee617ebaef1be6d73861479c48b841eaba9b7b5852ddfeb1346');
  // A flipped byte of the DST or the message gives another point.
  assert.notEqual(bytesToHex(enc(hashToCurve(GEN.g1_message, flip(GEN.dst)))), GEN.g1);
  assert.notEqual(bytesToHex(enc(hashToCurve('offline/v1/g3', GEN.dst))), GEN.g1);
});

test('keyset: id recomputed; keys derived from the master secret', () => {
  verifyKeysetId(keyset);
  const master = hexToBytes(V.inputs.mint_master);
  for (const { amount, x } of V.mint_keys) {
    const j = denomination(amount);
    assert.equal(hex32(hmacScalar(master, 'offline/v1/derive/mint-key', beN(V.inputs.keyset_index, 4), Uint8Array.of(j))), x);
    assert.equal(bytesToHex(enc(mul(G, scalar(x)))), keyset.keys[String(amount)]);
  }
  for (const change of [
    (k) => (k.deposit_deadline += 1),
    (k) => (k.valid_from += 1),
    (k) => (k.unit = 'usd'),
    (k) => (k.unit = 'sats'),
    (k) => (k.keys['8'] = k.keys['4']),
    (k) => delete k.keys['2'],
    (k) => (k.id = flip(k.id)),
  ]) {
    const bad = clone(keyset);
    change(bad);
    assert.throws(() => verifyKeysetId(bad));
  }
  // The unit's case does not matter: the id hashes the lowercased unit.
  verifyKeysetId({ ...keyset, unit: 'SAT' });
  const swapped = clone(keyset);
  [swapped.valid_until, swapped.deposit_deadline] = [swapped.deposit_deadline + 1, swapped.valid_until];
  assert.throws(() => keysetId(swapped), /order/);
});

test('registration: proof of knowledge, bound to its context; u1 and t derived as Appendix B says', () => {
  const reg = V.registration;
  const context = hexToBytes(reg.context);
  assert.equal(hex32(verifyRegistration(reg.message, context)), reg.c);
  const seed = hexToBytes(V.inputs.wallet_seed);
  const u1 = hmacScalar(seed, 'offline/v1/derive/identity');
  assert.equal(hex32(u1), reg.u1);
  const I = mul(g1, u1);
  assert.equal(bytesToHex(enc(I)), reg.message.identity);
  const t = hmacScalar(ser32(u1), 'offline/v1/derive/reg-nonce', enc(I), context);
  assert.equal(bytesToHex(enc(mul(g1, t))), reg.message.commitment);
  assert.equal(hex32(t + scalar(reg.c) * u1), reg.message.response);

  assert.throws(() => verifyRegistration(reg.message, utf8ToBytes('account-43')), /proof/);
  for (const field of ['response', 'commitment', 'identity']) {
    const bad = clone(reg.message);
    bad[field] = flip(bad[field]);
    assert.throws(() => verifyRegistration(bad, context));
  }
  // An identity with a hidden g2 part (I + g2) fails, and I = -g2 is refused outright.
  const hidden = clone(reg.message);
  hidden.identity = bytesToHex(enc(I.add(g2)));
  assert.throws(() => verifyRegistration(hidden, context), /proof/);
  assert.throws(() => accountPoint(g2.negate()), /identity/);
});

test('withdrawal: both sides of the transcript give the coin', () => {
  const wd = V.withdrawal;
  const I = point(V.registration.message.identity);
  const m = accountPoint(I);
  const amount = wd.start.amount;
  const j = denomination(amount);
  const x = scalar(V.mint_keys.find((k) => k.amount === amount).x);
  const h = keyFor(keyset, amount);
  // Mint, move 1.
  const w = hmacScalar(hexToBytes(V.inputs.session_secret), 'offline/v1/derive/session', hexToBytes(V.inputs.session_id));
  assert.equal(hex32(w), wd.w);
  assert.equal(wd.start.id, keyset.id);
  assert.equal(wd.start.z, bytesToHex(enc(mul(m, x))));
  assert.equal(wd.start.a0, bytesToHex(enc(mul(G, w))));
  assert.equal(wd.start.b0, bytesToHex(enc(mul(m, w))));
  // Wallet, move 2, with the secrets of Appendix B.
  const seed = hexToBytes(V.inputs.wallet_seed);
  const [z, a0, b0] = [point(wd.start.z), point(wd.start.a0), point(wd.start.b0)];
  const derive = (label) =>
    hmacScalar(seed, 'offline/v1/derive/coin', bytesHex(keyset.id, 32), beN(V.inputs.coin_counter, 4), enc(a0), enc(b0), utf8ToBytes(label));
  const [s, u, v, x1, x2] = ['s', 'u', 'v', 'x1', 'x2'].map(derive);
  assert.deepEqual([s, u, v, x1, x2].map(hex32), ['s', 'u', 'v', 'x1', 'x2'].map((k) => wd.secrets[k]));
  const A = mul(m, s);
  const B = mul(g1, x1).add(mul(g2, x2));
  const zp = mul(z, s);
  const ap = mul(a0, u).add(mul(G, v));
  const bp = mul(b0, s * u).add(mul(A, v));
  const cPrime = signatureChallenge({ kid: bytesHex(keyset.id, 32), j, A, B, z: zp, a: ap, b: bp });
  assert.equal(hex32(cPrime), wd.c_prime);
  const c0 = mod(cPrime * inv(u));
  assert.equal(hex32(c0), wd.challenge.c0);
  // Mint, move 3.
  const r0 = mod(w + scalar(wd.challenge.c0) * x);
  assert.equal(hex32(r0), wd.response.r0);
  // Wallet checks the answer, unblinds.
  const userCheck = (r0v) => {
    if (!mul(G, r0v).equals(mul(h, c0).add(a0))) fail('r0 G != c0 h + a0');
    if (!mul(m, r0v).equals(mul(z, c0).add(b0))) fail('r0 m != c0 z + b0');
  };
  userCheck(scalar(wd.response.r0));
  assert.throws(() => userCheck(scalar(flip(wd.response.r0))), /r0/);
  const coin = {
    id: keyset.id,
    amount,
    A: bytesToHex(enc(A)),
    B: bytesToHex(enc(B)),
    z: bytesToHex(enc(zp)),
    a: bytesToHex(enc(ap)),
    b: bytesToHex(enc(bp)),
    r: hex32(u * r0 + v),
  };
  assert.deepEqual(coin, V.coin);
});

test('coin: the check passes; any flipped byte, another keyset or amount fails', () => {
  assert.equal(hex32(coinCheck(V.coin, keyset)), V.withdrawal.c_prime);
  assert.equal(coinHash(V.coin), V.coin_hash);
  for (const field of ['r', 'A', 'B', 'z', 'a', 'b', 'id']) {
    const bad = clone(V.coin);
    bad[field] = flip(bad[field]);
    assert.throws(() => coinCheck(bad, keyset), undefined, field);
  }
  const other = clone(V.coin);
  other.amount = 4;
  assert.throws(() => coinCheck(other, keyset), /coin/);
  assert.throws(() => coinCheck({ ...V.coin, amount: 3 }, keyset), /power of two/);
  assert.throws(() => coinCheck({ ...V.coin, amount: 16 }, keyset), /no key/);
});

test('payment: challenge, responses, payee verification; tampering refused', () => {
  const { request, d, payment } = V.payment;
  const coin = payment.coins[0].coin;
  assert.equal(hex32(paymentChallenge(coin, request.payee, request.nonce, request.time)), d);
  verifyPayment(payment, request, [keyset]);
  // The payer's responses from the secrets: r1 = d u1 s + x1, r2 = d s + x2.
  const sec = V.withdrawal.secrets;
  const [u1, s, x1, x2] = [V.registration.u1, sec.s, sec.x1, sec.x2].map(scalar);
  assert.equal(hex32(scalar(d) * u1 * s + x1), payment.coins[0].r1);
  assert.equal(hex32(scalar(d) * s + x2), payment.coins[0].r2);

  const bad = (mutatePayment, mutateRequest = () => {}) => {
    const p = clone(payment);
    const r = clone(request);
    mutatePayment(p);
    mutateRequest(r);
    assert.throws(() => verifyPayment(p, r, [keyset]));
  };
  bad((p) => (p.coins[0].r1 = flip(p.coins[0].r1)));
  bad((p) => (p.coins[0].r2 = flip(p.coins[0].r2)));
  bad((p) => (p.coins[0].coin.r = flip(p.coins[0].coin.r)));
  bad(() => {}, (r) => (r.payee = V.double_spend.request.payee)); // another payee key
  bad(() => {}, (r) => (r.nonce = flip(r.nonce)));
  bad(() => {}, (r) => (r.time += 1));
  bad(() => {}, (r) => (r.time = keyset.valid_until + 1));
  bad(() => {}, (r) => (r.amount = 16));
  bad((p) => p.coins.push(clone(p.coins[0])), (r) => (r.amount = 16)); // the same coin twice
  bad((p) => (p.coins = []), (r) => (r.amount = 0));
  // The second spend's answers do not answer the first request.
  bad((p) => {
    p.coins[0].r1 = V.double_spend.transcript.r1;
    p.coins[0].r2 = V.double_spend.transcript.r2;
  });
  // A keyset the payee does not have.
  assert.throws(() => verifyPayment(payment, request, []), /unknown keyset/);
});

test('deposit: payee BIP-340 signature over the transcript; deadline inclusive', () => {
  const tr = V.deposit.transcript;
  assert.equal(bytesToHex(depositMessage(tr)), V.deposit.message);
  assert.equal(hex32(verifyDeposit(tr, keyset, keyset.deposit_deadline)), V.payment.d);
  assert.throws(() => verifyDeposit(tr, keyset, keyset.deposit_deadline + 1), /deadline/);
  // P is the payee secret's public key; the signature is BIP-340 with 32 zero bytes of aux randomness.
  const sk = hexToBytes(V.inputs.payee_secret_1);
  assert.equal(bytesToHex(enc(mul(G, scalar(V.inputs.payee_secret_1)))), tr.payee);
  assert.equal(bytesToHex(schnorr.sign(depositMessage(tr), sk, new Uint8Array(32))), tr.signature);
  for (const field of ['signature', 'nonce', 'r1', 'r2', 'payee']) {
    const bad = clone(tr);
    bad[field] = flip(bad[field]);
    assert.throws(() => verifyDeposit(bad, keyset, keyset.valid_until), undefined, field);
  }
  const later = clone(tr);
  later.time += 1;
  assert.throws(() => verifyDeposit(later, keyset, keyset.valid_until), /signature|open/);
  // The payee key with the other parity: the x-only signature still verifies, but d changes.
  const negated = clone(tr);
  negated.payee = bytesToHex(enc(point(tr.payee).negate()));
  assert.throws(() => verifyDeposit(negated, keyset, keyset.valid_until), /open B/);
});

test('receipts: the mint key signs coin hash, transcript hash, payee, outcome, amounts, time', () => {
  const R = V.receipts.receipt_key;
  assert.equal(bytesToHex(enc(mul(G, scalar(V.inputs.receipt_secret)))), R);
  const pairs = [
    ['paid', V.deposit.transcript],
    ['double_spend', V.double_spend.transcript],
  ];
  for (const [which, tr] of pairs) {
    const { message, receipt } = V.receipts[which];
    assert.equal(receipt.outcome, which);
    assert.equal(bytesToHex(receiptMessage(receipt)), message);
    verifyReceipt(receipt, R);
    assert.ok(receiptIsFor(receipt, tr));
    const sk = hexToBytes(V.inputs.receipt_secret);
    assert.equal(bytesToHex(schnorr.sign(receiptMessage(receipt), sk, new Uint8Array(32))), receipt.signature);
    for (const change of [
      (r) => (r.signature = flip(r.signature)),
      (r) => (r.coin = flip(r.coin)),
      (r) => (r.transcript = flip(r.transcript)),
      (r) => (r.payee = flip(r.payee)),
      (r) => (r.amount_paid += 1),
      (r) => (r.amount_from_bond = r.amount_paid + 1),
      (r) => (r.time += 1),
      (r) => (r.outcome = r.outcome === 'paid' ? 'refunded' : 'paid'),
    ]) {
      const bad = clone(receipt);
      change(bad);
      assert.throws(() => verifyReceipt(bad, R));
    }
    assert.throws(() => verifyReceipt(receipt, V.deposit.transcript.payee), /signature/);
  }
  assert.ok(!receiptIsFor(V.receipts.paid.receipt, V.double_spend.transcript));
});

test('double-spend evidence: verifies, yields the registered identity; tampering refused', () => {
  const ds = V.double_spend;
  const ev = ds.evidence;
  assert.equal(hex32(paymentChallenge(ds.transcript.coin, ds.request.payee, ds.request.nonce, ds.request.time)), ds.d);
  assert.deepEqual(ev.first, V.deposit.transcript);
  assert.deepEqual(ev.second, ds.transcript);
  const { s, u1, I } = verifyEvidence(ev);
  assert.equal(hex32(s), ds.extracted.s);
  assert.equal(hex32(u1), ds.extracted.u1);
  assert.equal(bytesToHex(enc(I)), ds.identity);
  assert.equal(ds.identity, V.registration.message.identity);
  // The order of the transcripts does not matter.
  assert.equal(bytesToHex(enc(verifyEvidence({ ...ev, first: ev.second, second: ev.first }).I)), ds.identity);

  // One transcript alone reveals nothing.
  assert.throws(() => verifyEvidence({ ...ev, second: ev.first }), /equal challenges/);
  assert.throws(() => extract(ev.first, ev.first), /equal challenges/);
  for (const change of [
    (e) => (e.second.r1 = flip(e.second.r1)),
    (e) => (e.second.r2 = flip(e.second.r2)),
    (e) => (e.first.signature = flip(e.first.signature)),
    (e) => (e.second.nonce = flip(e.second.nonce)),
    (e) => (e.second.coin.r = flip(e.second.coin.r)),
    (e) => (e.keyset.deposit_deadline += 1),
    (e) => (e.keyset.keys['8'] = e.keyset.keys['1']),
  ]) {
    const bad = clone(ev);
    change(bad);
    assert.throws(() => verifyEvidence(bad));
  }
  // Responses that open B but belong to no double spend by this coin's owner: the extraction's last check
  // (A == s (I + g2)) refuses them. Forge them for a wrong identity: r1' = d' u s + x1 with u != u1.
  const sec = V.withdrawal.secrets;
  const [sS, x1, x2] = [sec.s, sec.x1, sec.x2].map(scalar);
  const d2 = scalar(ds.d);
  const forged = clone(ev.second);
  forged.r1 = hex32(d2 * 12345n * sS + x1);
  forged.r2 = hex32(d2 * sS + x2);
  assert.throws(() => extract(ev.first, forged), /bound/);
});
