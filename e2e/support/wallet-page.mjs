// Drives the wallet page the way a person does: by roles and labels, as a screen reader would find them.
// Shared by the end-to-end tests (*.test.mjs) and the Nutshell variant (wallet-nutshell.mjs); also the setup
// they share (`startWalletTest`: bundle, mint, browser, people).
import assert from 'node:assert/strict';
import { access, mkdir } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { startMint, stopMint } from './mint-process.mjs';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const chromiumPath = process.env.CHROMIUM ?? '/usr/bin/chromium';
export const UI_TIMEOUT = 60_000;
/** The wallet bundle the mint serves: WALLET_DIR (scripts/test sets it), else dist/ (trunk's output). */
export const walletDir = process.env.WALLET_DIR ?? join(root, 'dist');
/** Screenshots are build output: target/screenshots/ (SCREENSHOT_DIR overrides), never the committed tree. */
export const shots = process.env.SCREENSHOT_DIR ?? join(root, 'target', 'screenshots');
/** Options of a `test` that clicks through the wallet: its time limit. */
export const STEP = { timeout: 240_000 };

export function launchBrowser() {
  return chromium.launch({
    executablePath: chromiumPath,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update',
      '--disable-sync', '--no-first-run'],
  });
}

/**
 * A browser context standing for one person, with every request body the page (or its service worker) sends
 * kept in `requests`, and page errors in `problems`. `options`: more of Playwright's context options (e.g.
 * `timezoneId`, `isMobile`).
 */
export async function person(browser, name, { viewport = { width: 1000, height: 800 }, ...options } = {}) {
  const context = await browser.newContext({ viewport, ...options });
  context.setDefaultTimeout(UI_TIMEOUT);
  const who = { name, context, requests: [], problems: [] };
  // The page runs under the mint's Content-Security-Policy: any violation is reported as a console error,
  // which `watch` counts as a problem.
  await context.addInitScript(() => {
    document.addEventListener('securitypolicyviolation', (event) => {
      console.error(`CSP violation: ${event.violatedDirective} blocked ${event.blockedURI || 'inline'} (${event.sourceFile}:${event.lineNumber})`);
    });
  });
  context.on('request', (request) => {
    who.requests.push({ method: request.method(), url: request.url(), body: request.postData() ?? '' });
  });
  context.on('page', (page) => watch(who, page));
  return who;
}

/**
 * The start of a test with people on the wallet page: checks that the bundle in `walletDir` is built, makes
 * the screenshot folder, starts the real mint binary serving the bundle (`mint`: more of `startMint`'s
 * options), headless Chromium, and one `person` for each entry of `people` (`{ name, ...person's options }`).
 * Resolves to `{ mint, browser, people }`, which `endWalletTest` stops; when a step fails, what it started is
 * stopped before the error is thrown.
 */
export async function startWalletTest({ mint: mintOptions = {}, people = [] } = {}) {
  await access(join(walletDir, 'index.html')).catch(() => {
    throw new Error(`no wallet bundle in ${walletDir}: run trunk build --release (or set WALLET_DIR)`);
  });
  await mkdir(shots, { recursive: true });
  const started = { people: [] };
  try {
    started.mint = await startMint({ ...mintOptions, walletDir });
    started.browser = await launchBrowser();
    for (const { name, ...options } of people) started.people.push(await person(started.browser, name, options));
    return started;
  } catch (error) {
    await endWalletTest(started);
    throw error;
  }
}

/** Stops what `startWalletTest` started (any part of it may be missing). */
export async function endWalletTest({ mint, browser } = {}) {
  await browser?.close();
  await stopMint(mint);
}

function watch(who, page) {
  page.on('pageerror', (error) => who.problems.push(`${who.name}: page error: ${error.message}`));
  page.on('console', (message) => {
    if (message.type() === 'error' && !/Failed to load resource|net::ERR_/.test(message.text())) {
      who.problems.push(`${who.name}: console error: ${message.text()}`);
    }
  });
}

/** Opens the wallet page; waits for its first screen. */
export async function open(who, base) {
  const page = await who.context.newPage();
  const response = await page.goto(`${base}/`);
  const policy = response.headers()['content-security-policy'] ?? '';
  assert.match(policy, /script-src 'self' 'wasm-unsafe-eval' 'sha256-/, 'the page is served with its CSP');
  assert.match(policy, /frame-ancestors 'none'/);
  assert.doesNotMatch(policy, /unsafe-inline/);
  await page.getByRole('heading', { level: 1 }).first().waitFor();
  return page;
}

export const nav = (page, name) => page.getByRole('navigation', { name: 'Wallet' }).getByRole('button', { name, exact: true });

/** Goes to a screen by the navigation; waits for its heading. */
export async function go(page, name) {
  await nav(page, name).click();
  await page.getByRole('heading', { level: 1 }).first().waitFor();
}

/**
 * Creates a wallet through the first-run screens; returns the 12 recovery words. With `passphrase`, types it
 * twice (first with a different repeat, which is refused), so the words are stored sealed under it.
 */
export async function createWallet(page, { screenshots, passphrase } = {}) {
  await page.getByRole('heading', { name: 'Welcome' }).waitFor();
  if (screenshots) await page.screenshot({ path: `${screenshots}/01-welcome.png`, fullPage: true });
  await page.getByRole('button', { name: 'Create a new wallet' }).click();
  const list = page.getByRole('list', { name: 'Your recovery words' });
  await list.waitFor();
  const words = (await list.locator('li').allTextContents()).map((word) => word.trim());
  assert.equal(words.length, 12, `12 recovery words, got ${JSON.stringify(words)}`);
  const next = page.getByRole('button', { name: 'Continue' });
  assert.equal(await next.isDisabled(), true, 'Continue waits for the "written down" checkbox');
  if (screenshots) await page.screenshot({ path: `${screenshots}/02-recovery-words.png`, fullPage: true });
  await page.getByLabel('I have written down these 12 words, in order').check();
  await next.click();
  // A wrong word is refused with a clear message.
  await page.getByLabel('Word 3', { exact: true }).fill(words[2]);
  await page.getByLabel('Word 7', { exact: true }).fill(words[7]);
  await page.getByLabel('Word 11', { exact: true }).fill(words[10]);
  await page.getByRole('button', { name: 'Create wallet' }).click();
  await page.getByRole('alert').filter({ hasText: 'check word 7' }).waitFor();
  await page.getByLabel('Word 7', { exact: true }).fill(words[6].toUpperCase());
  if (passphrase) {
    await page.getByLabel('Passphrase (optional)', { exact: true }).fill(passphrase);
    await page.getByLabel('Repeat the passphrase', { exact: true }).fill(`${passphrase}!`);
    await page.getByRole('button', { name: 'Create wallet' }).click();
    await page.getByRole('alert').filter({ hasText: 'The two passphrases are not the same.' }).waitFor();
    await page.getByLabel('Repeat the passphrase', { exact: true }).fill(passphrase);
  }
  if (screenshots) await page.screenshot({ path: `${screenshots}/03-confirm-words.png`, fullPage: true });
  await page.getByRole('button', { name: 'Create wallet' }).click();
  await page.getByRole('heading', { name: 'Balance' }).waitFor();
  return words;
}

/** The number in a text such as "1,024 sat". */
export function sats(text) {
  const match = /([\d,]+)\s*sat/.exec(text ?? '');
  assert.ok(match, `an amount in ${JSON.stringify(text)}`);
  return Number(match[1].replaceAll(',', ''));
}

/** The spendable balance the Wallet screen shows. */
export async function balance(page) {
  await go(page, 'Wallet');
  const shown = page.getByTestId('balance');
  await page.waitForFunction(() => !document.querySelector('[data-testid=balance]')?.textContent?.includes('…'));
  return sats(await shown.textContent());
}

/** Picks `mintUrl` in the select labelled `label` inside `scope` (the page, or one region of it), when given. */
async function pickMint(scope, label, mintUrl) {
  if (mintUrl) await scope.getByLabel(label, { exact: true }).selectOption(mintUrl);
}

/** Adds money with the Lightning (fake bolt11) method; returns the status text. */
export async function addMoneyByInvoice(page, amount, { mintUrl } = {}) {
  await go(page, 'Add money');
  await pickMint(page, 'Mint', mintUrl);
  await page.getByLabel('A Lightning invoice').check();
  await page.getByLabel('Amount (sat)').first().fill(String(amount));
  await page.getByRole('main').getByRole('button', { name: 'Add money' }).click();
  const status = page.getByTestId('add-money-status');
  await status.locator('.done, .failed').waitFor({ timeout: 120_000 });
  return status.textContent();
}

/** The total of the pending sends the Activity screen lists. */
export async function pendingTotal(page) {
  await go(page, 'Activity');
  const texts = await page.getByTestId('pending-send').locator('.pending-amount').allTextContents();
  return texts.map(sats).reduce((a, b) => a + b, 0);
}

/** Makes a token of `amount`; returns it. */
export async function send(page, amount, { memo, mintUrl, screenshot } = {}) {
  await go(page, 'Send');
  // The Send screen has a second mint picker, in "Pay a Lightning invoice".
  await pickMint(page.getByRole('region', { name: 'Send' }), 'From mint', mintUrl);
  await page.getByLabel('Amount (sat)').fill(String(amount));
  if (memo) await page.getByLabel('Note for the receiver (optional)').fill(memo);
  await page.getByRole('button', { name: 'Create token' }).click();
  const token = page.getByTestId('token');
  await token.waitFor();
  const text = await token.inputValue();
  assert.match(text, /^cashuB/);
  assert.ok(await page.getByRole('img', { name: /QR code of the token/ }).isVisible(), 'the token has a QR code');
  if (screenshot) await page.screenshot({ path: screenshot, fullPage: true });
  return text;
}

/** Pastes a token, checks it, receives it; returns { preview, status } texts. */
export async function receive(page, token, { trust = true, screenshot } = {}) {
  await go(page, 'Receive');
  await page.getByLabel('Token', { exact: true }).fill(token);
  await page.getByRole('button', { name: 'Check token' }).click();
  const preview = page.getByTestId('token-preview');
  await preview.waitFor();
  const previewText = await preview.textContent();
  const trustBox = page.getByLabel('I trust this mint; add it');
  if (trust && (await trustBox.count()) > 0) await trustBox.check();
  if (screenshot) await page.screenshot({ path: screenshot, fullPage: true });
  await page.getByRole('main').getByRole('button', { name: 'Receive', exact: true }).click();
  const status = page.getByTestId('receive-status');
  await status.locator('.done, .failed').waitFor({ timeout: 120_000 });
  return { preview: previewText, status: await status.textContent() };
}

/** Every IndexedDB record of the wallet's database, parsed: `{ table: [record, ...] }`. */
export async function dumpWalletDatabase(page) {
  return page.evaluate(async () => {
    const db = await new Promise((resolve, reject) => {
      const request = indexedDB.open('chaumian-wallet');
      request.onsuccess = () => resolve(request.result);
      request.onerror = () => reject(request.error);
    });
    const out = {};
    for (const name of db.objectStoreNames) {
      const records = await new Promise((resolve, reject) => {
        const request = db.transaction(name, 'readonly').objectStore(name).getAll();
        request.onsuccess = () => resolve(request.result);
        request.onerror = () => reject(request.error);
      });
      out[name] = records.map((record) => {
        if (typeof record !== 'string') return record;
        try { return JSON.parse(record); } catch { return record; }
      });
    }
    db.close();
    return out;
  });
}

/** Every string value in `value` whose key matches `keyPattern`, at any depth. */
export function valuesUnder(value, keyPattern, found = []) {
  if (Array.isArray(value)) {
    for (const item of value) valuesUnder(item, keyPattern, found);
  } else if (value && typeof value === 'object') {
    for (const [key, inner] of Object.entries(value)) {
      if (keyPattern.test(key) && typeof inner === 'string') found.push(inner);
      else valuesUnder(inner, keyPattern, found);
    }
  }
  return found;
}
