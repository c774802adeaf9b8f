// End-to-end: offline coins in the real wallet page, served by the real mint binary, in headless Chromium.
// A's bank account at the mint is opened and funded by the operator; A registers it for offline coins, locks a
// bond and withdraws coins (with a progress bar). Then both browsers go offline (`context.setOffline(true)`):
// B makes a payment request, its text goes to A, A's wallet refuses an amount its coins cannot make and pays
// an exact one, the payment's text goes back to B, B's wallet verifies it; a reload shows A the same payment.
// Back online, B's wallet deposits by itself and B's online balance grows. Finally a scripted cheater (loadgen's
// `offline-cheater`, written with `shared` alone) pays B and C with one coin: both verify it, both deposit,
// the mint names the cheater, the evidence page verifies the case in the browser, and both payees end up paid
// (C from the cheater's bond).
//
// Needs MINT_BIN and WALLET_DIR (scripts/test sets both) and OFFLINE_CHEATER_BIN (default: `offline-cheater`
// beside MINT_BIN). Screenshots go to target/screenshots/.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { access, mkdir } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { admin, mintBin, startMint, stopMint } from './support/mint-process.mjs';
import { balance, createWallet, go, launchBrowser, open, person, sats } from './support/wallet-page.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const walletDir = process.env.WALLET_DIR ?? resolve(here, '..', 'dist');
const cheaterBin = process.env.OFFLINE_CHEATER_BIN ?? join(dirname(mintBin), 'offline-cheater');
// Screenshots are build output: target/screenshots/ (SCREENSHOT_DIR overrides), never the committed tree.
const shots = process.env.SCREENSHOT_DIR ?? resolve(here, '..', 'target', 'screenshots');
const STEP = { timeout: 240_000 };

let mint;
let browser;
let alice;
let bob;
let carol;
let alicePage;
let bobPage;
let carolPage;
let bankAccount;
let paymentToBob;

before(async () => {
  await access(join(walletDir, 'index.html')).catch(() => {
    throw new Error(`no wallet bundle in ${walletDir}: run trunk build --release (or set WALLET_DIR)`);
  });
  await access(cheaterBin).catch(() => {
    throw new Error(`no offline cheater at ${cheaterBin}: run cargo build -p loadgen (or set OFFLINE_CHEATER_BIN)`);
  });
  await mkdir(shots, { recursive: true });
  mint = await startMint({ name: 'E2E Offline Mint', walletDir });
  browser = await launchBrowser();
  alice = await person(browser, 'A');
  bob = await person(browser, 'B');
  carol = await person(browser, 'C');
});

after(async () => {
  await browser?.close();
  await stopMint(mint);
});

const shot = (page, name) => page.screenshot({ path: join(shots, `offline-${name}.png`), fullPage: true });

/** Waits for a status line's outcome; returns its text. */
async function outcome(page, testid) {
  const status = page.getByTestId(testid);
  await status.locator('.done, .failed').waitFor({ timeout: 120_000 });
  return status.textContent();
}

/** Waits until the Offline screen knows the mint's offline keys (the sync on opening fetched them). */
async function offlineScreen(page) {
  await go(page, 'Offline');
  await page.getByTestId('offline-balance').waitFor();
  await page.waitForFunction(() => Number(document.querySelector('[data-testid=offline-balance]')?.dataset.keysets) > 0);
}

/** As the payee: a request for `amount`; returns its text. */
async function makeRequest(page, amount) {
  await offlineScreen(page);
  const another = page.getByRole('button', { name: 'Make another request' });
  if (await another.count()) await another.click();
  await page.locator('#offline-request-amount').fill(String(amount));
  await page.getByRole('button', { name: 'Make a payment request' }).click();
  const text = await page.getByTestId('offline-request-text').inputValue();
  assert.match(text, /^offlinereq1[A-Za-z0-9_-]+$/);
  assert.ok(await page.getByRole('img', { name: 'QR code of the payment request' }).isVisible());
  return text;
}

/** As the payee: checks a payment's text; returns the status text. */
async function checkPayment(page, text) {
  await offlineScreen(page);
  await page.locator('#offline-payment').fill(text);
  await page.getByRole('button', { name: 'Check payment' }).click();
  return outcome(page, 'offline-receive-status');
}

/** As the payer: pastes a request and checks it; returns the preview. */
async function previewRequest(page, text) {
  await offlineScreen(page);
  const another = page.getByRole('button', { name: 'Pay another request' });
  if (await another.count()) await another.click();
  await page.locator('#offline-pay-request').fill(text);
  await page.getByRole('button', { name: 'Check request' }).click();
  const preview = page.getByTestId('offline-pay-preview');
  await preview.waitFor();
  return preview;
}

/** Waits for the banner to say `pattern` (the automatic sync's report). */
async function banner(page, pattern) {
  await page.getByTestId('banner').filter({ hasText: pattern }).waitFor({ timeout: 120_000 });
  return page.getByTestId('banner').textContent();
}

test("A and B create wallets; the operator opens and funds A's bank account", STEP, async () => {
  alicePage = await open(alice, mint.base);
  await createWallet(alicePage);
  await go(alicePage, 'Add money');
  await alicePage.getByLabel('My bank account at the mint').check();
  const key = (await alicePage.getByTestId('account-key').textContent()).trim();
  const account = await admin(mint, 'POST', '/admin/accounts', { pubkey: key });
  bankAccount = account.id;
  await admin(mint, 'POST', `/admin/accounts/${bankAccount}/credit`, { amount: 1000, reference: 'e2e offline' });
  bobPage = await open(bob, mint.base);
  await createWallet(bobPage);
});

test('A registers for offline coins, locks a bond and withdraws coins with a progress bar', STEP, async () => {
  await offlineScreen(alicePage);
  assert.equal(sats(await alicePage.getByTestId('offline-balance').textContent()), 0);
  await shot(alicePage, '01-screen-empty');
  await alicePage.getByLabel('Your account number at the mint').fill(String(bankAccount));
  await alicePage.getByRole('button', { name: 'Use it for offline coins' }).click();
  assert.match(await outcome(alicePage, 'offline-account-status'), new RegExp(`Account ${bankAccount} can now be used`));

  await alicePage.locator('#offline-bond-amount').fill('100');
  await alicePage.getByRole('button', { name: 'Lock bond' }).click();
  assert.match(await outcome(alicePage, 'offline-account-status'), /Your bond is 100 sat/);
  assert.equal(sats(await alicePage.getByTestId('offline-bond').textContent()), 100);

  // Each coin's withdrawal answer is held back a little, so that the progress bar can be seen moving.
  await alicePage.route('**/v1/offline/withdraw', async (route) => {
    await new Promise((done) => setTimeout(done, 150));
    await route.continue();
  });
  await alicePage.locator('#offline-withdraw-amount').fill('30');
  await alicePage.getByRole('button', { name: 'Withdraw offline coins' }).click();
  const progress = alicePage.getByTestId('offline-withdraw-progress');
  await alicePage.getByText(/^Coin [1-7] of 8$/).waitFor();
  assert.equal(await progress.getAttribute('max'), '8');
  await shot(alicePage, '02-withdrawing');
  assert.match(await outcome(alicePage, 'offline-account-status'), /Withdrew 30 sat in offline coins\./);
  await alicePage.unrouteAll({ behavior: 'ignoreErrors' });
  assert.equal(await progress.count(), 0, 'the progress bar goes away when done');
  assert.equal(sats(await alicePage.getByTestId('offline-balance').textContent()), 30);
  // The spread pays every amount up to what was withdrawn.
  assert.match(await alicePage.getByTestId('offline-payable').textContent(), /^1–30 sat$/);
  assert.match(await alicePage.getByTestId('offline-keysets').textContent(), /Pay with them until \d{4}-\d\d-\d\d/);
  await shot(alicePage, '03-withdrawn');
  const after = await admin(mint, 'GET', `/admin/accounts/${bankAccount}`);
  assert.equal(after.balance, 1000 - 100 - 30, 'the bond and the coins came from the bank account');
  // The online balance is apart: still nothing.
  assert.equal(await balance(alicePage), 0);
});

test('with both browsers offline, B requests, A pays exactly (or refuses in plain words), B verifies', STEP, async () => {
  // The Offline screen knows the mint's keys from the sync on opening; the app shell is cached for reloads.
  await offlineScreen(bobPage);
  for (const page of [alicePage, bobPage]) await page.evaluate(async () => { await navigator.serviceWorker.ready; });
  await alice.context.setOffline(true);
  await bob.context.setOffline(true);
  assert.equal(await alicePage.evaluate(() => navigator.onLine), false);

  // More than A's offline coins hold: refused before anything is spent, saying why.
  const tooMuch = await makeRequest(bobPage, 50);
  let preview = await previewRequest(alicePage, tooMuch);
  assert.match(await preview.textContent(), /Request for 50 sat/);
  assert.match(await alicePage.getByTestId('offline-pay-refusal').textContent(),
    /You have 30 sat in offline coins, less than the 50 sat asked\./);
  assert.equal(await alicePage.getByRole('button', { name: /^Pay 50 sat/ }).count(), 0);
  await shot(alicePage, '04-refused');

  const request = await makeRequest(bobPage, 21);
  await shot(bobPage, '05-request');
  preview = await previewRequest(alicePage, request);
  assert.match(await preview.textContent(), /Request for 21 sat/);
  assert.match(await preview.textContent(), /one-time key made by the payee's wallet: 0[23][0-9a-f]{6}…[0-9a-f]{4}/);
  await shot(alicePage, '06-pay-preview');
  await alicePage.getByRole('button', { name: 'Pay 21 sat' }).click();
  paymentToBob = await alicePage.getByTestId('offline-payment-text').inputValue();
  assert.match(paymentToBob, /^offlinepay1[A-Za-z0-9_-]+$/);
  // Several coins (the spread 1, 1, 2, 2, 4, 4, 8, 8 pays 21 as 8 + 8 + 4 + 1) are too long for one QR
  // code: the page animates it (NUT-16 frames) and offers the text too.
  const animated = alicePage.getByTestId('offline-paid').locator('.qr[data-frames]');
  assert.ok(Number(await animated.getAttribute('data-frames')) > 1, 'the payment is an animated QR code');
  assert.ok(await alicePage.getByTestId('offline-paid').getByText(/^Animated code: \d+ parts/).isVisible());
  assert.equal(sats(await alicePage.getByTestId('offline-balance').textContent()), 9);
  await shot(alicePage, '07-paid');

  // A reload (still offline) shows the same payment again.
  await alicePage.reload();
  await offlineScreen(alicePage);
  await alicePage.getByTestId('offline-payments').locator('summary').first().click();
  assert.equal(await alicePage.getByTestId('offline-payment-made').first().inputValue(), paymentToBob);
  await shot(alicePage, '08-payment-again');

  // A damaged payment is refused in plain words; the real one verifies.
  assert.match(await checkPayment(bobPage, paymentToBob.slice(0, -40)), /damaged/);
  assert.match(await checkPayment(bobPage, paymentToBob), /Payment of 21 sat verified in your browser and kept\./);
  assert.match(await bobPage.getByTestId('offline-requests').textContent(), /paid, verified/);
  await shot(bobPage, '09-received');
  const offlineApi = [...alice.requests, ...bob.requests].filter((r) => r.url.includes('/v1/offline/deposit'));
  assert.deepEqual(offlineApi, [], 'nothing was deposited while offline');
});

test("back online, B's wallet deposits by itself and B's online balance grows", STEP, async () => {
  assert.equal(await balance(bobPage), 0);
  await alice.context.setOffline(false);
  await bob.context.setOffline(false);
  // The browser's `online` event starts the sync.
  assert.match(await banner(bobPage, 'Deposited 21 sat'), /Deposited 21 sat of offline payments you received/);
  await shot(bobPage, '10-deposited');
  assert.equal(await balance(bobPage), 21);
  await offlineScreen(bobPage);
  assert.match(await bobPage.getByTestId('offline-requests').textContent(), /deposited 21 sat, \d+ receipts verified/);
});

test('a cheater pays B and C with one coin: both deposit, both are paid, the evidence is verified', STEP, async () => {
  carolPage = await open(carol, mint.base);
  await createWallet(carolPage);
  const forBob = await makeRequest(bobPage, 8);
  const forCarol = await makeRequest(carolPage, 8);
  const { stdout, stderr } = await promisify(execFile)(cheaterBin, [
    '--mint', mint.base, '--admin-token-file', join(mint.dataDir, 'data', 'admin.token'), '--amount', '8',
    '--bond', '8', forBob, forCarol,
  ]);
  const [toBob, toCarol] = stdout.trim().split('\n');
  const cheater = JSON.parse(stderr.trim().split('\n').at(-1));
  // Each payee alone sees a genuine payment.
  assert.match(await checkPayment(bobPage, toBob), /Payment of 8 sat verified/);
  assert.match(await checkPayment(carolPage, toCarol), /Payment of 8 sat verified/);

  // B deposits first (a reload syncs), and is paid by the coin; C's deposit is the second spend, paid from
  // the cheater's bond.
  await bobPage.reload();
  await banner(bobPage, 'Deposited 8 sat');
  assert.equal(await balance(bobPage), 29);
  await carolPage.reload();
  const told = await banner(carolPage, 'Deposited 8 sat');
  assert.match(told, /8 sat of it paid from a double spender's bond/);
  await shot(carolPage, '11-paid-from-bond');
  assert.equal(await balance(carolPage), 8);

  // The mint named the cheater and blocked the account; the bond is spent.
  // (A read of an account is signed by its key: the cheater printed one.)
  const account = await (await fetch(`${mint.base}/v1/offline/accounts/${cheater.account}?${cheater.read}`)).json();
  assert.equal(account.identity, cheater.identity);
  assert.equal(account.blocked, true);
  assert.equal(account.bond, 0);

  // The evidence page checks the case in the browser and marks it as concerning C's payment.
  await offlineScreen(carolPage);
  await carolPage.getByRole('button', { name: 'See double-spend evidence' }).click();
  const cases = carolPage.getByTestId('evidence-case');
  await cases.first().waitFor();
  assert.equal(await cases.count(), 1);
  const text = await cases.first().textContent();
  assert.match(text, /A coin of 8 sat spent twice/);
  assert.match(text, /Verified in your browser/);
  assert.ok(text.includes(`${cheater.identity.slice(0, 8)}…${cheater.identity.slice(-4)}`), `the cheater is named: ${text}`);
  assert.equal(await carolPage.getByTestId('evidence-mine').count(), 1);
  await shot(carolPage, '12-evidence');
  // A, who received nothing of it, sees the same case verified, not marked as hers.
  await offlineScreen(alicePage);
  await alicePage.getByRole('button', { name: 'See double-spend evidence' }).click();
  await alicePage.getByTestId('evidence-case').first().waitFor();
  assert.match(await alicePage.getByTestId('evidence-case').first().textContent(), /Verified in your browser/);
  assert.equal(await alicePage.getByTestId('evidence-mine').count(), 0);
});

test('no page error in any browser', STEP, async () => {
  assert.deepEqual([...alice.problems, ...bob.problems, ...carol.problems], []);
});
