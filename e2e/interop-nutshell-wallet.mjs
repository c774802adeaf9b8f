// Interoperability: the Nutshell wallet CLI (PyPI `cashu`, pinned in scripts/nutshell-requirements.txt)
// drives OUR mint binary. Run by scripts/test's "interop (nutshell wallet)" step:
//   node --test interop-nutshell-wallet.mjs
// (the file name keeps it out of the plain `node --test` run of the e2e step: it needs nutshell installed).
//
// Needs the mint binary (MINT_BIN) and the nutshell venv (NUTSHELL_VENV, default ../target/nutshell-venv;
// scripts/lib.sh's ensure_nutshell makes it). Every wallet lives in its own temporary directory, with HOME
// pointing there too so no ~/.cashu/.env is read; the CLI only talks to our mint on 127.0.0.1.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { access, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Wallet, getDecodedToken } from '@cashu/cashu-ts';
import { startMint, stopMint } from './support/mint-process.mjs';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const venv = process.env.NUTSHELL_VENV ?? join(root, 'target', 'nutshell-venv');
const cashuBin = join(venv, 'bin', 'cashu');
const python = join(venv, 'bin', 'python');
const STEP = { timeout: 120_000 };
const CLI_TIMEOUT_MS = 90_000;

let mint;
let home;
let keysetIds;
let token; // what `cashu send 10` printed
let melted; // the output of `cashu pay`

/**
 * Runs the nutshell CLI for one wallet (its own CASHU_DIR) against our mint. Resolves with
 * { code, stdout, stderr, output } and never rejects on a non-zero exit: callers assert on it.
 */
function cashu(walletName, args, { input } = {}) {
  return new Promise((done, fail) => {
    const child = execFile(
      cashuBin,
      ['--yes', ...args],
      {
        cwd: home,
        timeout: CLI_TIMEOUT_MS,
        killSignal: 'SIGKILL',
        maxBuffer: 4 * 1024 * 1024,
        env: {
          PATH: process.env.PATH,
          LANG: 'C.UTF-8',
          HOME: home,
          CASHU_DIR: join(home, walletName),
          MINT_URL: mint.base,
          TOR: 'FALSE',
        },
      },
      (error, stdout, stderr) => {
        if (error && error.killed) {
          fail(new Error(`cashu ${args.join(' ')} timed out after ${CLI_TIMEOUT_MS} ms:\n${stdout}\n${stderr}`));
          return;
        }
        if (error && typeof error.code !== 'number') {
          fail(error);
          return;
        }
        const code = error ? error.code : 0;
        const tail = (text) => (text.length > 4000 ? `...${text.slice(-4000)}` : text);
        done({
          code,
          stdout,
          stderr,
          output: `cashu ${args.join(' ')}: exit ${code}\n--- stdout\n${tail(stdout)}\n--- stderr\n${tail(stderr)}`,
        });
      },
    );
    if (input !== undefined) child.stdin.end(input);
    else child.stdin.end();
  });
}

/** `cashu balance` as a number of sat. */
async function balance(walletName) {
  const result = await cashu(walletName, ['balance']);
  assert.equal(result.code, 0, result.output);
  const found = /Balance: (\d+) sat/.exec(result.stdout);
  assert.ok(found, result.output);
  return Number(found[1]);
}

/** A signed BOLT11 invoice for `sat` (made with the bolt11 package nutshell itself uses). */
function invoice(sat) {
  const script = `
import hashlib, os, sys, time
from bolt11 import Bolt11, MilliSatoshi, TagChar, Tags, encode
tags = Tags()
tags.add(TagChar.description, "interop test")
secret = os.urandom(32).hex()
tags.add(TagChar.payment_secret, secret)
tags.add(TagChar.payment_hash, hashlib.sha256(bytes.fromhex(secret)).hexdigest())
tags.add(TagChar.expire_time, 3600)
bolt11 = Bolt11(currency="bc", amount_msat=MilliSatoshi(int(sys.argv[1]) * 1000), date=int(time.time()), tags=tags)
print(encode(bolt11, os.urandom(32).hex()))
`;
  return new Promise((done, fail) => {
    execFile(python, ['-c', script, String(sat)], { timeout: 30_000 }, (error, stdout, stderr) => {
      if (error) fail(new Error(`making an invoice failed: ${error.message}\n${stderr}`));
      else done(stdout.trim());
    });
  });
}

/** NUT-07 states of a token's proofs, asked of our mint through cashu-ts. */
async function tokenStates(encoded) {
  const wallet = new Wallet(mint.base);
  await wallet.loadMint();
  const { proofs } = getDecodedToken(encoded, keysetIds);
  return (await wallet.checkProofsStates(proofs)).map((entry) => entry.state);
}

before(async () => {
  await access(cashuBin).catch(() => {
    throw new Error(`no nutshell CLI at ${cashuBin}: run scripts/test (ensure_nutshell), or set NUTSHELL_VENV`);
  });
  home = await mkdtemp(join(tmpdir(), 'nutshell-wallet-'));
  mint = await startMint({ name: 'nutshell interop mint' });
  const response = await fetch(`${mint.base}/v1/keysets`);
  keysetIds = (await response.json()).keysets.map((keyset) => keyset.id);
}, STEP);

after(async () => {
  await stopMint(mint);
  if (home) await rm(home, { recursive: true, force: true });
});

test('nutshell mints 64 sat from our mint (bolt11 mint quote, paid at once by the fake backend)', STEP, async () => {
  const result = await cashu('alice', ['invoice', '64']);
  assert.equal(result.code, 0, result.output);
  assert.match(result.stdout, /Invoice paid/, result.output);
  assert.equal(await balance('alice'), 64);
});

test('nutshell reads our mint\'s keyset (version-01 id, unit sat, no fee)', STEP, async () => {
  const result = await cashu('alice', ['info']);
  assert.equal(result.code, 0, result.output);
  for (const id of keysetIds) {
    assert.match(id, /^01[0-9a-f]{64}$/);
    assert.match(result.stdout, new RegExp(`ID: ${id}\\s+unit: sat\\s+active: True\\s+fee \\(ppk\\): 0`), result.output);
  }
});

test('nutshell sends 10 sat as a cashuB token (a swap at our mint)', STEP, async () => {
  const result = await cashu('alice', ['send', '10']);
  assert.equal(result.code, 0, result.output);
  const found = /^(cashuB[A-Za-z0-9_-]+)$/m.exec(result.stdout);
  assert.ok(found, `a cashuB token line in:\n${result.output}`);
  token = found[1];
  assert.equal(await balance('alice'), 54);
  const states = await tokenStates(token);
  assert.ok(states.length > 0);
  assert.deepEqual(states, states.map(() => 'UNSPENT'));
  const decoded = getDecodedToken(token, keysetIds);
  assert.equal(decoded.mint, mint.base);
  assert.equal(decoded.proofs.reduce((sum, proof) => sum + Number(proof.amount.toString()), 0), 10);
});

test('a second nutshell wallet receives the token', STEP, async () => {
  const result = await cashu('bob', ['receive', token]);
  assert.equal(result.code, 0, result.output);
  assert.match(result.stdout, /Received 10 sat/, result.output);
  assert.equal(await balance('bob'), 10);
  const states = await tokenStates(token);
  assert.deepEqual(states, states.map(() => 'SPENT'));
});

test('receiving the same token again fails with the mint\'s 11001 (already spent)', STEP, async () => {
  for (const wallet of ['carol', 'bob']) {
    const result = await cashu(wallet, ['receive', token]);
    assert.notEqual(result.code, 0, result.output);
    assert.match(result.stderr + result.stdout, /Code: 11001/, result.output);
  }
  assert.equal(await balance('bob'), 10);
});

test('nutshell pays a 5 sat bolt11 invoice through our mint (melt)', STEP, async () => {
  const result = await cashu('alice', ['pay', await invoice(5)]);
  assert.equal(result.code, 0, result.output);
  assert.match(result.stdout, /Invoice paid/, result.output);
  assert.equal(await balance('alice'), 49);
  melted = result;
});

test('the payment preimage our mint returns for that melt matches the invoice (or is absent)', STEP, () => {
  assert.ok(melted, 'the melt step ran');
  // Nutshell checks sha256(preimage) == the invoice's payment hash whenever the mint returns a preimage (it
  // skips the check for null or 64 zeros) and prints "Invalid preimage!" otherwise.
  assert.doesNotMatch(melted.stdout + melted.stderr, /Invalid preimage/, melted.output);
});

test('nutshell restores the wallet from its mnemonic (NUT-13 secrets, NUT-09 restore, NUT-07 states)', STEP, async () => {
  const info = await cashu('alice', ['info', '--mnemonic']);
  assert.equal(info.code, 0, info.output);
  const mnemonic = /Mnemonic:\s*\n\s*- ([a-z ]+)\n/.exec(info.stdout)?.[1];
  assert.ok(mnemonic && mnemonic.split(' ').length === 12, info.output);
  const result = await cashu('alice-restored', ['restore', '--to', '2', '--batch', '25'], { input: `${mnemonic}\n` });
  assert.equal(result.code, 0, result.output);
  assert.match(result.stdout, /Restored \d+ sat/, result.output);
  assert.equal(await balance('alice-restored'), await balance('alice'));
});
