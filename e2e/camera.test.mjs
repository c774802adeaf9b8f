// End-to-end: the camera path, in three tests. (1) A wallet shows a token (20 notes: an animated QR code, NUT-16 frames) on its
// Send screen; the test screenshots the wallet's own QR element once per displayed frame, turns the pictures
// into a video with Debian's ffmpeg (.y4m), and starts a second Chromium whose fake camera plays that video
// (`--use-fake-device-for-media-stream --use-file-for-fake-video-capture`). That wallet opens Receive, presses
// "Scan a QR code" and must read the whole token (BarcodeDetector does not exist in headless Chromium: the
// wasm decoder, rqrr, reads every frame), then receive it. (2) An offline payment of 10 coins with the network
// off: the payee's request is filmed into the payer's camera, the payer's animated payment into the payee's
// (each person is a persistent Chromium profile, relaunched with the next video), and the payee verifies it.
// (3) With two fake cameras, Switch camera moves the scanner to the other one and stops the first; Cancel
// stops the camera.
//
// Prints the benchmark lines `CAMERABENCH ...`: frames and seconds the scanner needed, frames it decoded a
// second and milliseconds per decode at the camera's 640x480. Measured, never asserted.
//
// Needs MINT_BIN and WALLET_DIR (scripts/test sets both) and ffmpeg. Screenshots go to target/screenshots/.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { access, mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { chromium } from 'playwright-core';
import { admin, startMint, stopMint } from './support/mint-process.mjs';
import { addMoneyByInvoice, chromiumPath, createWallet, go, launchBrowser, open, person, receive, send, UI_TIMEOUT } from './support/wallet-page.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const walletDir = process.env.WALLET_DIR ?? resolve(here, '..', 'dist');
const shots = process.env.SCREENSHOT_DIR ?? resolve(here, '..', 'target', 'screenshots');
const STEP = { timeout: 300_000 };
const run = promisify(execFile);

let mint;
let browser;
let work;
const cameras = [];

before(async () => {
  await access(join(walletDir, 'index.html')).catch(() => {
    throw new Error(`no wallet bundle in ${walletDir}: run trunk build --release (or set WALLET_DIR)`);
  });
  await run('ffmpeg', ['-version']).catch(() => {
    throw new Error('no ffmpeg: apt-get install ffmpeg (scripts/test does)');
  });
  await mkdir(shots, { recursive: true });
  work = await mkdtemp(join(tmpdir(), 'camera-e2e-'));
  mint = await startMint({ name: 'E2E Camera Mint', walletDir });
  browser = await launchBrowser();
});

after(async () => {
  for (const camera of cameras) await camera.context.close().catch(() => {});
  await browser?.close();
  await stopMint(mint);
  if (work) await rm(work, { recursive: true, force: true });
});

/**
 * Screenshots the QR element `code` once per frame it displays (waiting for `data-frame` to change), `rounds`
 * times its fragment count (`data-frames`), as PNGs in a new directory; a static code is shot once. Returns
 * { dir, shots, parts }.
 */
async function filmCode(page, code, name, { rounds = 2 } = {}) {
  const dir = join(work, name);
  await mkdir(dir, { recursive: true });
  await code.waitFor();
  const parts = Number((await code.getAttribute('data-frames')) ?? '1');
  const wanted = parts > 1 ? rounds * parts : 1;
  let last;
  for (let shot = 0; shot < wanted; shot += 1) {
    if (parts > 1) {
      await page.waitForFunction(
        ([element, previous]) => element.dataset.frame !== previous,
        [await code.elementHandle(), last ?? ''],
        { polling: 10 },
      );
    }
    last = await code.getAttribute('data-frame');
    await code.screenshot({ path: join(dir, `f${String(shot).padStart(3, '0')}.png`) });
  }
  return { dir, shots: wanted, parts };
}

/**
 * The pictures as a 640x480 .y4m at 10 frames a second, each picture held for 2 frames (5 codes a second),
 * scaled to 460 px high on white, as a phone held over another phone's screen sees it.
 */
async function video({ dir, shots: count }) {
  const file = `${dir}.y4m`;
  // One picture (a static code): shown for 2 s.
  const still = count === 1 ? ['-loop', '1', '-t', '2'] : [];
  await run('ffmpeg', ['-loglevel', 'error', '-y', '-framerate', '5', ...still, '-i', join(dir, 'f%03d.png'), '-vf',
    'scale=-2:460:flags=neighbor,pad=640:480:(ow-iw)/2:(oh-ih)/2:white', '-r', '10', '-pix_fmt', 'yuv420p', file]);
  return file;
}

/**
 * A person in a Chromium of their own whose camera plays `file` (or Chromium's test pattern when null);
 * `profile` keeps their IndexedDB between runs (one Chromium process plays one video: the next one needs a
 * relaunch). `devices`: how many fake cameras the browser lists (one unless given).
 */
async function cameraPerson(name, file, profile, { devices } = {}) {
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: chromiumPath,
    headless: true,
    viewport: { width: 1000, height: 800 },
    permissions: ['camera'],
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update',
      '--disable-sync', '--no-first-run', '--use-fake-ui-for-media-stream',
      `--use-fake-device-for-media-stream${devices ? `=device-count=${devices}` : ''}`,
      ...(file ? [`--use-file-for-fake-video-capture=${file}`] : [])],
  });
  context.setDefaultTimeout(UI_TIMEOUT);
  const who = { name, context, requests: [], problems: [] };
  context.on('request', (request) => who.requests.push({ method: request.method(), url: request.url() }));
  context.on('page', (page) => page.on('pageerror', (error) => who.problems.push(`${name}: ${error.message}`)));
  cameras.push(who);
  return who;
}

/**
 * Presses the scan button `button`, waits until the field `field` holds text, and returns the scanner's
 * numbers: { seconds, frames, decodeMs, decoder }. With `screenshot`, shoots the page while the progress of
 * an animated code shows.
 */
async function scanInto(page, button, field, { screenshot } = {}) {
  const started = Date.now();
  await page.getByRole('button', { name: button }).click();
  if (screenshot) {
    const progress = page.locator('.scanner-progress');
    await progress.waitFor({ timeout: 120_000 });
    await page.screenshot({ path: screenshot, fullPage: true });
  }
  await page.waitForFunction((selector) => document.querySelector(selector)?.value?.length > 0, field,
    { timeout: 180_000, polling: 50 });
  const seconds = (Date.now() - started) / 1000;
  const scanner = page.locator('.scanner[data-decoded-frames]:not([data-decoded-frames="0"])').first();
  return {
    seconds,
    frames: Number(await scanner.getAttribute('data-decoded-frames')),
    decodeMs: Number(await scanner.getAttribute('data-decode-ms')),
    decoder: await scanner.getAttribute('data-decoder'),
  };
}

function report(what, { shots: filmed, parts }, numbers) {
  const perSecond = numbers.decodeMs > 0 ? (1000 / numbers.decodeMs).toFixed(1) : '-';
  console.log(`CAMERABENCH ${what}: ${parts} parts, ${filmed} pictures filmed; read in ${numbers.seconds.toFixed(1)} s, `
    + `${numbers.frames} camera frames decoded (${numbers.decoder}), ${numbers.decodeMs.toFixed(1)} ms per decode `
    + `at 640x480 = ${perSecond} frames/s`);
}

test('a 20-note token goes from one wallet\'s animated QR code through a camera into another wallet', STEP, async () => {
  // 2^20 - 1 sat: one note of every power of two below 2^20, all of them in the token.
  const amount = 2 ** 20 - 1;
  const alice = await person(browser, 'A', { viewport: { width: 1000, height: 800 } });
  const alicePage = await open(alice, mint.base);
  await createWallet(alicePage);
  assert.match(await addMoneyByInvoice(alicePage, amount), /Added/);
  const token = await send(alicePage, amount);
  const code = alicePage.getByRole('img', { name: /QR code of the token/ });
  const parts = Number((await code.getAttribute('data-frames')) ?? '1');
  assert.ok(parts > 1, `a 20-note token is an animated code, got ${parts} part(s)`);
  await alicePage.screenshot({ path: join(shots, 'camera-01-animated-token.png'), fullPage: true });
  const film = await filmCode(alicePage, code, 'token');
  const file = await video(film);

  const bob = await cameraPerson('B', file, join(work, 'profile-b'));
  const bobPage = await open(bob, mint.base);
  await createWallet(bobPage);
  await go(bobPage, 'Receive');
  const numbers = await scanInto(bobPage, 'Scan a QR code', '#receive-token',
    { screenshot: join(shots, 'camera-02-scanner-progress.png') });
  report('20-note token', film, numbers);
  assert.equal(numbers.decoder, 'rqrr', 'headless Chromium has no BarcodeDetector: the wasm decoder read it');
  assert.equal(await bobPage.locator('#receive-token').inputValue(), token, 'the whole token was read');
  const { status } = await receive(bobPage, token);
  assert.match(status, /Received 1,048,575 sat/);
  assert.deepEqual([...alice.problems, ...bob.problems], []);
});

/** Waits until the Offline screen knows the mint's offline keys (the sync on opening fetched them). */
async function offlineScreen(page) {
  await go(page, 'Offline');
  await page.getByTestId('offline-balance').waitFor();
  await page.waitForFunction(() => Number(document.querySelector('[data-testid=offline-balance]')?.dataset.keysets) > 0);
}

/** Waits for a status line's outcome; returns its text. */
async function outcome(page, testid) {
  const status = page.getByTestId(testid);
  await status.locator('.done, .failed').waitFor({ timeout: 120_000 });
  return status.textContent();
}

test('an offline payment of 10 coins: request and payment each filmed from one screen into the other camera, network off', STEP, async () => {
  const payeeProfile = join(work, 'profile-payee');
  // B, the payee: a wallet that knows the mint's offline keys, and a request for 62 sat.
  let bob = await cameraPerson('B', null, payeeProfile);
  let bobPage = await open(bob, mint.base);
  await createWallet(bobPage);
  await offlineScreen(bobPage);
  await bobPage.evaluate(async () => { await navigator.serviceWorker.ready; });
  await bob.context.setOffline(true);
  await bobPage.locator('#offline-request-amount').fill('62');
  await bobPage.getByRole('button', { name: 'Make a payment request' }).click();
  const request = await bobPage.getByTestId('offline-request-text').inputValue();
  const requestFilm = await filmCode(bobPage, bobPage.getByRole('img', { name: 'QR code of the payment request', exact: true }), 'request');
  await bob.context.close();

  // A, the payer, whose camera sees B's screen: a bank account at the mint, a bond, and 62 sat of offline
  // coins (the spread 1, 1, 2, 2, 4, 4, 8, 8, 16, 16: paying 62 takes all 10 coins).
  const alice = await cameraPerson('A', await video(requestFilm), join(work, 'profile-payer'));
  const alicePage = await open(alice, mint.base);
  await createWallet(alicePage);
  await go(alicePage, 'Add money');
  await alicePage.getByLabel('My bank account at the mint').check();
  const key = (await alicePage.getByTestId('account-key').textContent()).trim();
  const account = await admin(mint, 'POST', '/admin/accounts', { pubkey: key });
  await admin(mint, 'POST', `/admin/accounts/${account.id}/credit`, { amount: 1000, reference: 'e2e camera' });
  await offlineScreen(alicePage);
  await alicePage.getByLabel('Your account number at the mint').fill(String(account.id));
  await alicePage.getByRole('button', { name: 'Use it for offline coins' }).click();
  assert.match(await outcome(alicePage, 'offline-account-status'), /can now be used/);
  await alicePage.locator('#offline-bond-amount').fill('100');
  await alicePage.getByRole('button', { name: 'Lock bond' }).click();
  assert.match(await outcome(alicePage, 'offline-account-status'), /Your bond is 100 sat/);
  await alicePage.locator('#offline-withdraw-amount').fill('62');
  await alicePage.getByRole('button', { name: 'Withdraw offline coins' }).click();
  assert.match(await outcome(alicePage, 'offline-account-status'), /Withdrew 62 sat in offline coins\./);
  await alicePage.evaluate(async () => { await navigator.serviceWorker.ready; });
  await alice.context.setOffline(true);

  const toPayer = await scanInto(alicePage, 'Scan a request', '#offline-pay-request');
  assert.equal(await alicePage.locator('#offline-pay-request').inputValue(), request);
  await alicePage.getByRole('button', { name: 'Check request' }).click();
  await alicePage.getByTestId('offline-pay-preview').waitFor();
  await alicePage.getByRole('button', { name: 'Pay 62 sat' }).click();
  const payment = await alicePage.getByTestId('offline-payment-text').inputValue();
  const code = alicePage.getByTestId('offline-paid').getByRole('img', { name: 'QR code of the payment', exact: true });
  assert.ok(Number(await code.getAttribute('data-frames')) > 1, 'a 10-coin payment is an animated code');
  await alicePage.screenshot({ path: join(shots, 'camera-03-animated-offline-payment.png'), fullPage: true });
  const paymentFilm = await filmCode(alicePage, code, 'payment');

  // B again (same profile, its IndexedDB kept), the camera now on A's screen, the network off.
  bob = await cameraPerson('B', await video(paymentFilm), payeeProfile);
  bobPage = await open(bob, mint.base);
  await offlineScreen(bobPage);
  await bob.context.setOffline(true);
  const toPayee = await scanInto(bobPage, 'Scan a payment', '#offline-payment',
    { screenshot: join(shots, 'camera-04-scanner-offline-payment.png') });
  assert.equal(await bobPage.locator('#offline-payment').inputValue(), payment, 'the whole payment was read');
  await bobPage.getByRole('button', { name: 'Check payment' }).click();
  assert.match(await outcome(bobPage, 'offline-receive-status'), /Payment of 62 sat verified in your browser and kept\./);
  report('offline request (payee to payer)', requestFilm, toPayer);
  report('10-coin offline payment (payer to payee)', paymentFilm, toPayee);
  const deposits = [...alice.requests, ...bob.requests].filter((r) => r.url.includes('/v1/offline/deposit'));
  assert.deepEqual(deposits, [], 'nothing was deposited while offline');
  assert.deepEqual([...alice.problems, ...bob.problems], []);
});

/** The device id of the camera the scanner's video plays (null while it has none). */
function cameraOf(page) {
  return page.evaluate(() => {
    const track = document.querySelector('video.scanner-video')?.srcObject?.getVideoTracks?.()[0];
    return track && track.readyState === 'live' ? track.getSettings().deviceId : null;
  });
}

test('with two cameras, Switch camera moves the scanner to the other one; Cancel stops the camera', STEP, async () => {
  const carol = await cameraPerson('C', null, await mkdtemp(join(work, 'carol-')), { devices: 2 });
  // Every stream the page opens, kept to check that each one is stopped.
  await carol.context.addInitScript(() => {
    window.cameraStreams = [];
    if (!navigator.mediaDevices) return;
    const open = navigator.mediaDevices.getUserMedia.bind(navigator.mediaDevices);
    navigator.mediaDevices.getUserMedia = async (constraints) => {
      const stream = await open(constraints);
      window.cameraStreams.push(stream);
      return stream;
    };
  });
  const live = (page) => page.evaluate(() => window.cameraStreams
    .map((stream) => stream.getTracks().filter((track) => track.readyState === 'live').length));
  const page = await open(carol, mint.base);
  await createWallet(page);
  await go(page, 'Receive');
  await page.getByRole('button', { name: 'Scan a QR code' }).click();
  await page.waitForFunction(() => {
    const track = document.querySelector('video.scanner-video')?.srcObject?.getVideoTracks?.()[0];
    return track?.readyState === 'live';
  });
  const first = await cameraOf(page);
  await page.getByRole('button', { name: 'Switch camera' }).click();
  await page.waitForFunction((before) => {
    const track = document.querySelector('video.scanner-video')?.srcObject?.getVideoTracks?.()[0];
    return track?.readyState === 'live' && track.getSettings().deviceId !== before;
  }, first);
  assert.notEqual(await cameraOf(page), first);
  assert.deepEqual(await live(page), [0, 1], 'the first camera is stopped when the scanner switches');
  // Chromium's fake cameras have no torch: no torch button is offered.
  assert.equal(await page.getByRole('button', { name: /^Torch/ }).count(), 0);
  // At once, while the scanner may still be starting the second camera.
  await page.getByRole('button', { name: 'Cancel' }).click();
  await page.getByRole('button', { name: 'Scan a QR code' }).waitFor();
  assert.deepEqual(await live(page), [0, 0], 'Cancel stops the camera');
  assert.deepEqual(carol.problems, []);
});
