// Interoperability: @cashu/cashu-ts (the reference TypeScript wallet library, version pinned in package.json)
// drives OUR mint binary. Each test is one step of a wallet's life; they run in order and share state.
//
// Needs the mint binary (MINT_BIN, default ../target/debug/mint-server); scripts/test builds it. The mint runs
// with the fake bolt11 backend on an ephemeral 127.0.0.1 port and a fresh data directory.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import {
  Mint,
  MintOperationError,
  Wallet,
  deriveKeysetId,
  getDecodedToken,
  getEncodedToken,
  getPubKeyFromPrivKey,
  getTokenMetadata,
  hasValidDleq,
} from '@cashu/cashu-ts';
import { startMint, stopMint } from './support/mint-process.mjs';

const STEP = { timeout: 60_000 };

let mint;
let base;

/** Sum of proof amounts (cashu-ts v4 amounts are `Amount` objects). */
const total = (proofs) => proofs.reduce((sum, proof) => sum + Number(proof.amount.toString()), 0);
/** NUT-07 states of these proofs, as strings. */
async function states(wallet, proofs) {
  return (await wallet.checkProofsStates(proofs)).map((entry) => entry.state);
}

before(async () => {
  mint = await startMint({ name: 'cashu-ts interop mint' });
  base = mint.base;
}, STEP);

after(() => stopMint(mint));

// Shared by the steps below.
let alice; // the first wallet: mints and sends
let bob; // the second wallet: receives
let keyset; // the active keyset, as cashu-ts holds it
let minted; // alice's proofs after minting
let sent; // { keep, send } of alice's send
let token; // the cashuB token of `sent.send`
let received; // bob's proofs

test('cashu-ts loads our mint: info, keysets, keys; the keyset id verifies', STEP, async () => {
  const api = new Mint(base);
  const info = await api.getInfo();
  assert.equal(info.name, 'cashu-ts interop mint');

  const { keysets } = await api.getKeySets();
  assert.ok(keysets.length >= 1);
  const active = keysets.filter((k) => k.active && k.unit === 'sat');
  assert.equal(active.length, 1, JSON.stringify(keysets));
  assert.match(active[0].id, /^01[0-9a-f]{64}$/, 'a version-01 keyset id (33 bytes)');

  const { keysets: withKeys } = await api.getKeys(active[0].id);
  assert.equal(withKeys.length, 1);
  const amounts = Object.keys(withKeys[0].keys).map(Number).sort((a, b) => a - b);
  assert.deepEqual(amounts, Array.from({ length: 32 }, (_, i) => 2 ** i));
  // cashu-ts recomputes the NUT-02 v2 id from the keys, unit, fee and expiry.
  const derived = deriveKeysetId(withKeys[0].keys, {
    versionByte: 1,
    unit: active[0].unit,
    input_fee_ppk: active[0].input_fee_ppk,
    expiry: active[0].final_expiry ?? undefined,
  });
  assert.equal(derived, active[0].id);

  alice = new Wallet(base, { unit: 'sat', requireSigDleq: true });
  await alice.loadMint();
  keyset = alice.keyChain.getCheapestKeyset();
  assert.equal(keyset.id, active[0].id);
  const mintInfo = alice.getMintInfo();
  for (const nut of [7, 9, 12]) assert.ok(mintInfo.isSupported(nut).supported, `NUT-${nut} supported`);
});

test('mint quote (paid at once by the fake backend) and minting 100 sat, every proof with a valid DLEQ', STEP, async () => {
  const quote = await alice.createMintQuoteBolt11(100);
  assert.equal(Number(quote.amount.toString()), 100);
  assert.match(quote.request, /^lnbc1000n1/);
  const checked = await alice.checkMintQuoteBolt11(quote.quote);
  assert.equal(checked.state, 'PAID');

  minted = await alice.mintProofsBolt11(100, quote.quote);
  assert.equal(total(minted), 100);
  for (const proof of minted) {
    assert.equal(proof.id, keyset.id);
    assert.ok(proof.dleq, 'the proof carries the DLEQ of its signature');
    assert.ok(hasValidDleq(proof, keyset, { require: true }), `DLEQ of the ${proof.amount} proof`);
  }
  assert.equal((await alice.checkMintQuoteBolt11(quote.quote)).state, 'ISSUED');
  assert.deepEqual(await states(alice, minted), minted.map(() => 'UNSPENT'));

  // The same quote cannot be minted twice.
  await assert.rejects(alice.mintProofsBolt11(100, quote.quote), (error) => {
    assert.ok(error instanceof MintOperationError, String(error));
    return true;
  });
});

test('NUT-20: a quote locked to a key is minted only with its signature', STEP, async () => {
  assert.ok(alice.getMintInfo().isSupported(20).supported, 'NUT-20 supported');
  const secret = new Uint8Array(randomBytes(32));
  const pubkey = Buffer.from(getPubKeyFromPrivKey(secret)).toString('hex');
  const quote = await alice.createLockedMintQuote(16, pubkey);
  assert.equal(quote.pubkey, pubkey, 'the mint answers the key it locked the quote to');
  assert.equal((await alice.checkMintQuoteBolt11(quote.quote)).state, 'PAID');

  // Knowing the quote id is not enough: an unsigned mint request is refused with 20008.
  const keys = alice.keyChain.getCheapestKeyset();
  const blank = Buffer.from(getPubKeyFromPrivKey(new Uint8Array(randomBytes(32)))).toString('hex');
  const unsigned = await fetch(`${base}/v1/mint/bolt11`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ quote: quote.quote, outputs: [{ amount: 16, id: keys.id, B_: blank }] }),
  });
  assert.equal(unsigned.status, 400);
  assert.equal((await unsigned.json()).code, 20008);
  assert.equal((await alice.checkMintQuoteBolt11(quote.quote)).state, 'PAID', 'the refusal changed nothing');

  // cashu-ts signs the request with the key (NUT-20): minted.
  const proofs = await alice.mintProofsBolt11(16, quote, { privkey: Buffer.from(secret).toString('hex') });
  assert.equal(total(proofs), 16);
  for (const proof of proofs) assert.ok(hasValidDleq(proof, keyset, { require: true }));
  assert.equal((await alice.checkMintQuoteBolt11(quote.quote)).state, 'ISSUED');
  assert.deepEqual(await states(alice, proofs), proofs.map(() => 'UNSPENT'));
});

test('send 37 of 100 (a swap at the mint) and encode it as a cashuB token', STEP, async () => {
  sent = await alice.send(37, minted);
  assert.equal(total(sent.send), 37);
  assert.equal(total(sent.keep), 63);
  // 100 = 64 + 32 + 4 has no subset worth 37, so cashu-ts swapped some inputs: those are spent now, the
  // ones it kept untouched are not.
  const kept = new Set(sent.keep.map((p) => p.secret));
  const swapped = minted.filter((p) => !kept.has(p.secret));
  assert.ok(swapped.length > 0, 'some inputs were swapped');
  assert.deepEqual(await states(alice, minted), minted.map((p) => (kept.has(p.secret) ? 'UNSPENT' : 'SPENT')));
  assert.deepEqual(await states(alice, sent.send), sent.send.map(() => 'UNSPENT'));
  for (const proof of [...sent.send, ...sent.keep]) assert.ok(hasValidDleq(proof, keyset, { require: true }));

  token = getEncodedToken({ mint: base, unit: 'sat', proofs: sent.send, memo: 'interop' });
  assert.match(token, /^cashuB/);
  const meta = getTokenMetadata(token);
  assert.equal(meta.mint, base);
  assert.equal(meta.unit, 'sat');
  assert.equal(Number(meta.amount.toString()), 37);
  const decoded = getDecodedToken(token, [keyset.id]);
  assert.deepEqual(decoded.proofs.map((p) => p.secret).sort(), sent.send.map((p) => p.secret).sort());
});

test('a second wallet receives the token (swap), requiring DLEQ proofs', STEP, async () => {
  bob = new Wallet(base, { requireSigDleq: true });
  await bob.loadMint();
  received = await bob.receive(token, { requireDleq: true });
  assert.equal(total(received), 37);
  assert.deepEqual(await states(bob, sent.send), sent.send.map(() => 'SPENT'));
  assert.deepEqual(await states(bob, received), received.map(() => 'UNSPENT'));
  for (const proof of received) assert.ok(hasValidDleq(proof, keyset, { require: true }));
});

test('receiving the same token again is refused: 11001 already spent', STEP, async () => {
  const again = new Wallet(base);
  await again.loadMint();
  await assert.rejects(again.receive(token), (error) => {
    assert.ok(error instanceof MintOperationError, `a MintOperationError, got ${error?.constructor?.name}: ${error}`);
    assert.equal(error.code, 11001, `code ${error.code}: ${error.message}`);
    return true;
  });
  // Nothing changed: bob's proofs are still good.
  assert.deepEqual(await states(bob, received), received.map(() => 'UNSPENT'));
});

test('deterministic secrets (NUT-13) are restored from the seed (NUT-09)', STEP, async () => {
  const seed = new Uint8Array(randomBytes(64));
  const saver = new Wallet(base, { bip39seed: seed });
  await saver.loadMint();
  const quote = await saver.createMintQuoteBolt11(21);
  const proofs = await saver.mintProofsBolt11(21, quote.quote);
  assert.equal(total(proofs), 21);

  const restorer = new Wallet(base, { bip39seed: seed });
  await restorer.loadMint();
  const { proofs: restored } = await restorer.batchRestore(20, 20);
  assert.deepEqual(
    restored.map((p) => [p.secret, p.C, Number(p.amount.toString())]).sort(),
    proofs.map((p) => [p.secret, p.C, Number(p.amount.toString())]).sort(),
  );
  assert.deepEqual(await states(restorer, restored), restored.map(() => 'UNSPENT'));
  for (const proof of restored) assert.ok(hasValidDleq(proof, keyset, { require: true }));
});

test('melt: a bolt11 melt quote for 10 sat, paid with bob\'s proofs', STEP, async () => {
  // The fake backend's invoices are invoice-shaped strings whose human-readable part carries the amount.
  const invoice = (await bob.createMintQuoteBolt11(10)).request;
  assert.match(invoice, /^lnbc100n1/);
  const quote = await bob.createMeltQuoteBolt11(invoice);
  assert.equal(Number(quote.amount.toString()), 10);
  assert.equal(Number(quote.fee_reserve.toString()), 0, 'the fake backend reserves no lightning fee');
  assert.equal(quote.state, 'UNPAID');
  const { keep, send } = await bob.send(quote.amount.add(quote.fee_reserve), received, { includeFees: true });
  assert.equal(total(send), 10);
  assert.equal(total(keep), 27);
  const result = await bob.meltProofsBolt11(quote, send);
  assert.equal(result.quote.state, 'PAID');
  assert.match(result.quote.payment_preimage, /^[0-9a-f]{64}$/);
  assert.deepEqual(result.change, [], 'nothing to give back: the fee reserve is 0');
  assert.deepEqual(await states(bob, send), send.map(() => 'SPENT'));
  assert.deepEqual(await states(bob, keep), keep.map(() => 'UNSPENT'));
  assert.equal((await bob.checkMeltQuoteBolt11(quote.quote)).state, 'PAID');
  // A paid quote cannot be paid twice.
  await assert.rejects(bob.meltProofsBolt11(quote, keep.slice(0, 1)), (error) => {
    assert.ok(error instanceof MintOperationError, String(error));
    return true;
  });
});

test('NUT-08: a melt whose fee reserve exceeds the fee paid returns the difference as change', STEP, async () => {
  // A mint of its own whose fake Lightning reserves 100 sat per melt and pays 3.
  const feeMint = await startMint({
    name: 'cashu-ts NUT-08 mint',
    args: ['--fake-bolt11-fee-reserve', '100', '--fake-bolt11-fee-paid', '3'],
  });
  try {
    const carol = new Wallet(feeMint.base, { unit: 'sat', requireSigDleq: true });
    await carol.loadMint();
    assert.ok(carol.getMintInfo().isSupported(8).supported, 'NUT-08 supported');
    const feeKeyset = carol.keyChain.getCheapestKeyset();
    const mintQuote = await carol.createMintQuoteBolt11(200);
    const proofs = await carol.mintProofsBolt11(200, mintQuote.quote);
    assert.equal(total(proofs), 200);

    const invoice = (await carol.createMintQuoteBolt11(10)).request;
    const quote = await carol.createMeltQuoteBolt11(invoice);
    assert.equal(Number(quote.amount.toString()), 10);
    assert.equal(Number(quote.fee_reserve.toString()), 100);
    const { keep, send } = await carol.send(quote.amount.add(quote.fee_reserve), proofs, { includeFees: true });
    const result = await carol.meltProofsBolt11(quote, send);
    assert.equal(result.quote.state, 'PAID');
    // cashu-ts sent blank outputs; the mint filled them with what the inputs held beyond 10 + 3.
    const expectedChange = total(send) - 10 - 3;
    assert.ok(expectedChange >= 97, `change ${expectedChange}`);
    assert.equal(total(result.change), expectedChange, 'the change is the overpaid reserve');
    for (const proof of result.change) assert.ok(hasValidDleq(proof, feeKeyset, { require: true }));
    assert.deepEqual(await states(carol, result.change), result.change.map(() => 'UNSPENT'));
    assert.deepEqual(await states(carol, send), send.map(() => 'SPENT'));
    // The amounts add up: what carol holds is what she minted less the invoice and the fee really paid.
    assert.equal(total(keep) + total(result.change), 200 - 10 - 3);
    // The change is good money: it swaps.
    const swapped = await carol.send(total(result.change), result.change);
    assert.equal(total(swapped.send) + total(swapped.keep), expectedChange);
  } finally {
    await stopMint(feeMint);
  }
});
