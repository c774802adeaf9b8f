// End-to-end against Nutshell's mint (PyPI `cashu`): the wallet page (served by our mint) adds a Nutshell mint
// by its address, adds money there with a (fake) Lightning invoice, sends a token from it; a second person
// receives the token (trusting the new mint); a second receive is refused; a fresh profile restores A's
// money there from the recovery words. Run by scripts/test's Nutshell step:
//   node --test wallet-nutshell.mjs
// (the name keeps it out of the plain `node --test` run: it needs nutshell installed).
//
// Needs MINT_BIN, WALLET_DIR and NUTSHELL_VENV (default ../target/nutshell-venv).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, mkdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort, startMint, stopMint } from './support/mint-process.mjs';
import { addMoneyByInvoice, balance, createWallet, go, launchBrowser, open, person, receive, send } from './support/wallet-page.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, '..');
const walletDir = process.env.WALLET_DIR ?? join(root, 'dist');
const venv = resolve(process.env.NUTSHELL_VENV ?? join(root, 'target', 'nutshell-venv'));
// Screenshots are build output: target/screenshots/ (SCREENSHOT_DIR overrides), never the committed tree.
const shots = process.env.SCREENSHOT_DIR ?? resolve(here, '..', 'target', 'screenshots');
const STEP = { timeout: 240_000 };

let ours;
let nutshell;
let nutshellUrl;
let work;
let browser;

before(async () => {
  await mkdir(shots, { recursive: true });
  work = await mkdtemp(join(tmpdir(), 'wallet-nutshell-'));
  const port = await freePort();
  nutshellUrl = `http://127.0.0.1:${port}`;
  let log = '';
  // As scripts/interop-nutshell-mint: FakeWallet backend (pays invoices after 1 s), SQLite in `work`, a clean
  // environment (HOME and the working directory are `work`, so no ~/.cashu/.env is read), input fee 100 ppk.
  nutshell = spawn(join(venv, 'bin', 'mint'), [], {
    cwd: work,
    env: {
      PATH: process.env.PATH, LANG: 'C.UTF-8', HOME: work, TOR: 'FALSE',
      CASHU_DIR: join(work, 'mint-cashu'), MINT_DATABASE: join(work, 'mint-db'), MINT_PRIVATE_KEY: `wallet-e2e-${process.pid}`,
      MINT_BACKEND_BOLT11_SAT: 'FakeWallet', MINT_LISTEN_HOST: '127.0.0.1', MINT_LISTEN_PORT: String(port),
      MINT_RATE_LIMIT: 'FALSE', MINT_INPUT_FEE_PPK: '100', FAKEWALLET_DELAY_INCOMING_PAYMENT: '1',
      FAKEWALLET_DELAY_OUTGOING_PAYMENT: '0',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  nutshell.stdout.on('data', (chunk) => { log += chunk; });
  nutshell.stderr.on('data', (chunk) => { log += chunk; });
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (nutshell.exitCode !== null) throw new Error(`the Nutshell mint exited with ${nutshell.exitCode}:\n${log}`);
    try {
      if ((await fetch(`${nutshellUrl}/v1/keysets`)).ok) break;
    } catch {
      // not up yet
    }
    if (Date.now() > deadline) throw new Error(`the Nutshell mint did not start:\n${log}`);
    await new Promise((done) => setTimeout(done, 200));
  }
  ours = await startMint({ name: 'Page mint', walletDir });
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await stopMint(ours);
  if (nutshell && nutshell.exitCode === null) {
    const exited = new Promise((done) => nutshell.once('exit', done));
    nutshell.kill('SIGTERM');
    const timer = setTimeout(() => nutshell.kill('SIGKILL'), 10_000);
    await exited;
    clearTimeout(timer);
  }
  if (work) await rm(work, { recursive: true, force: true });
});

test('the main flow against a Nutshell mint: add it, add money, send, receive, refuse a second receive, restore', STEP, async () => {
  const alice = await person(browser, 'A');
  const page = await open(alice, ours.base);
  const words = await createWallet(page);
  await page.getByLabel('Mint address').fill(nutshellUrl);
  await page.getByRole('button', { name: 'Add mint' }).click();
  await page.getByTestId('add-mint-status').locator('.done, .failed').waitFor();
  assert.match(await page.getByTestId('add-mint-status').textContent(), /^✓ Added/);
  const status = await addMoneyByInvoice(page, 64, { mintUrl: nutshellUrl });
  assert.match(status, /Added 64 sat/);
  assert.equal(await balance(page), 64);
  await page.screenshot({ path: join(shots, 'nutshell-home.png'), fullPage: true });

  const token = await send(page, 20, { mintUrl: nutshellUrl });
  const spendable = await balance(page);
  assert.ok(spendable <= 44 && spendable >= 40, `64 - 20 - fees: ${spendable}`);

  const bob = await person(browser, 'B');
  const bobPage = await open(bob, ours.base);
  await createWallet(bobPage);
  const { preview, status: received } = await receive(bobPage, token);
  assert.match(preview, /Token for 20 sat/);
  assert.match(preview, /not used yet/);
  assert.match(received, /Received \d+ sat/);
  const got = Number(/Received (\d+) sat/.exec(received)[1]);
  assert.ok(got >= 18 && got <= 20, `20 sat less the input fee: ${got}`);
  assert.equal(await balance(bobPage), got);
  const again = await receive(bobPage, token);
  assert.match(again.status, /already been redeemed/);

  await go(page, 'Activity');
  await page.getByRole('button', { name: 'Check which were redeemed' }).click();
  await page.getByTestId('pending-status').getByText('1 token was redeemed by the receiver.').waitFor();

  // A fresh profile restores A's money at the Nutshell mint from the recovery words (NUT-13 + NUT-09 +
  // NUT-07 against the reference mint): exactly what A can still spend, not the redeemed notes.
  const carol = await person(browser, 'A-restored');
  const restored = await open(carol, ours.base);
  await restored.getByRole('button', { name: 'Restore from recovery words' }).click();
  await restored.getByLabel('Recovery words').fill(words.join(' '));
  await restored.getByLabel('Mints to search').fill(nutshellUrl);
  await restored.getByRole('button', { name: 'Restore wallet' }).click();
  await restored.getByRole('heading', { name: 'Balance' }).waitFor({ timeout: 180_000 });
  assert.match(await restored.getByTestId('banner').textContent(), new RegExp(`Recovered ${spendable} sat\\.`));
  assert.equal(await balance(restored), spendable);
  assert.deepEqual([...alice.problems, ...bob.problems, ...carol.problems], []);
});
