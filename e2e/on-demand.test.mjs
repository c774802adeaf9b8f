// End-to-end: the parts of the wallet that load on demand (wallet-web's `split` feature, cut out by
// wallet-web/split-build.sh). A wallet that never used offline coins starts with the start-up bundle alone;
// the Offline screen fetches the offline part and a scan the scanner part, each once. With no network, a first
// visit to the Offline screen is served by the service worker's copy. A part that cannot be fetched at all (no
// service worker, no network) is told in plain words, the page keeps working, and the part loads once it can.
//
// Needs MINT_BIN and WALLET_DIR (scripts/test sets both); the bundle must be the split one (build_wallet).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readdir } from 'node:fs/promises';
import { createWallet, endWalletTest, go, open, startWalletTest, STEP, walletDir } from './support/wallet-page.mjs';

let mint;
let browser;
let alice;
let bob;
let carol;

before(async () => {
  ({ mint, browser, people: [alice, bob, carol] } = await startWalletTest({
    mint: { name: 'E2E On-Demand Mint' },
    // Bob has no service worker: what the network does not give him, nothing else does.
    people: [{ name: 'A' }, { name: 'B', serviceWorkers: 'block' }, { name: 'C' }],
  }));
});

after(() => endWalletTest({ mint, browser }));

/** The on-demand parts this page fetched itself (not its service worker's precaching), by file name. */
async function partsFetched(page) {
  const names = await page.evaluate(() => performance.getEntriesByType('resource').map((entry) => entry.name));
  return names.map((name) => new URL(name).pathname.slice(1)).filter((name) => /^split_[a-z]+-[0-9a-f]{16}\.wasm$/.test(name));
}

test('the bundle has an offline part and a scanner part beside the start-up wasm', async () => {
  const files = await readdir(walletDir);
  assert.ok(files.some((name) => /^split_offline-[0-9a-f]{16}\.wasm$/.test(name)), `dist: ${files}`);
  assert.ok(files.some((name) => /^split_scanner-[0-9a-f]{16}\.wasm$/.test(name)), `dist: ${files}`);
  assert.ok(files.some((name) => /^__wasm_split-[0-9a-f]{16}\.js$/.test(name)), `dist: ${files}`);
});

test('a new wallet starts without the offline and scanner parts; Offline and a scan fetch them once', STEP, async () => {
  const page = await open(alice, mint.base);
  await createWallet(page);
  // The start-up sync of a wallet without offline coins only refreshes the offline keysets.
  const asked = () => alice.requests.some((request) => new URL(request.url).pathname === '/v1/offline/keysets');
  for (let tries = 0; !asked() && tries < 600; tries += 1) await page.waitForTimeout(100);
  assert.ok(asked(), 'the start-up sync refreshed the offline keysets');
  await page.waitForLoadState('networkidle');
  assert.deepEqual(await partsFetched(page), [], 'nothing on demand at start');

  await go(page, 'Offline');
  await page.getByTestId('offline-balance').waitFor();
  assert.deepEqual((await partsFetched(page)).map((name) => name.split('-')[0]), ['split_offline']);

  await go(page, 'Receive');
  await page.getByRole('button', { name: 'Scan a QR code' }).click();
  // Headless Chromium has no camera here: the scanner part loads, then says the camera is missing.
  await page.locator('.scanner .hint').filter({ hasText: /camera/i }).waitFor();
  await go(page, 'Offline');
  await page.getByTestId('offline-balance').waitFor();
  assert.deepEqual((await partsFetched(page)).map((name) => name.split('-')[0]).sort(), ['split_offline', 'split_scanner']);
  assert.deepEqual(alice.problems, []);
});

test('with no network, a first visit to Offline is served by the service worker', STEP, async () => {
  // Carol never opened Offline online: only the service worker's precache can have the part.
  const page = await open(carol, mint.base);
  await createWallet(page);
  await page.evaluate(async () => { await navigator.serviceWorker.ready; });
  await page.reload();
  await page.getByRole('heading', { name: 'Balance' }).waitFor();
  assert.ok(await page.evaluate(() => navigator.serviceWorker.controller !== null), 'the service worker controls the page');
  await carol.context.setOffline(true);
  try {
    await page.reload();
    await page.getByRole('heading', { name: 'Balance' }).waitFor();
    await go(page, 'Offline');
    await page.getByTestId('offline-balance').waitFor();
    assert.equal(await page.getByTestId('part-not-loaded').count(), 0);
    assert.deepEqual((await partsFetched(page)).map((name) => name.split('-')[0]), ['split_offline']);
  } finally {
    await carol.context.setOffline(false);
  }
  assert.deepEqual(carol.problems, []);
});

test('a part that cannot be fetched is told in plain words; it loads once it can', STEP, async () => {
  const page = await open(bob, mint.base);
  await createWallet(page);
  const blocked = (url) => /\/split_offline-[0-9a-f]{16}\.wasm$/.test(new URL(url).pathname);
  await bob.context.route(blocked, (route) => route.abort('internetdisconnected'));
  await go(page, 'Offline');
  await page.getByRole('heading', { name: 'Offline coins', level: 1 }).waitFor();
  await page.getByTestId('part-not-loaded')
    .filter({ hasText: 'This part of the wallet could not be loaded. Connect to the internet once, then try again.' })
    .waitFor();
  // The rest of the wallet still works.
  await go(page, 'Receive');
  await page.getByRole('heading', { name: 'Receive', level: 1 }).waitFor();
  await bob.context.unroute(blocked);
  await go(page, 'Offline');
  await page.getByTestId('offline-balance').waitFor();
  assert.equal(await page.getByTestId('part-not-loaded').count(), 0);
  // A failed fetch is a resource error in the console, never a page error (a panic would abort the wasm).
  assert.deepEqual(bob.problems.filter((problem) => /page error/.test(problem)), []);
});
