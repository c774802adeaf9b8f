// End-to-end smoke test: the real mint binary serves the built wallet; a real Chromium loads it.
//
// Needs: the mint binary (MINT_BIN, default ../target/debug/mint-server), the built bundle (WALLET_DIR,
// default ../dist), and Chromium (CHROMIUM, default /usr/bin/chromium). scripts/test provides all three.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, mkdir, rm, access } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { freePort } from './support/mint-process.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, '..');
const mintBin = process.env.MINT_BIN ?? join(root, 'target', 'debug', 'mint-server');
const walletDir = process.env.WALLET_DIR ?? join(root, 'dist');
const chromiumPath = process.env.CHROMIUM ?? '/usr/bin/chromium';
// Screenshots are build output: target/screenshots/ (SCREENSHOT_DIR overrides), never the committed tree.
const screenshots = process.env.SCREENSHOT_DIR ?? resolve(here, '..', 'target', 'screenshots');
const mintName = `E2E Mint ${process.pid}`;

let mint;
let mintLog = '';
let dataDir;
let base;
let browser;

async function waitForMint(url, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (mint.exitCode !== null) throw new Error(`mint exited with ${mint.exitCode}:\n${mintLog}`);
    try {
      const response = await fetch(url);
      if (response.ok) return;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`mint did not answer ${url} in ${timeoutMs} ms:\n${mintLog}`);
    await new Promise((done) => setTimeout(done, 100));
  }
}

before(async () => {
  await access(mintBin).catch(() => {
    throw new Error(`no mint binary at ${mintBin}: run cargo build -p mint-server (or set MINT_BIN)`);
  });
  await access(join(walletDir, 'index.html')).catch(() => {
    throw new Error(`no wallet bundle in ${walletDir}: run trunk build --release (or set WALLET_DIR)`);
  });
  await mkdir(screenshots, { recursive: true });
  dataDir = await mkdtemp(join(tmpdir(), 'mint-e2e-'));
  const port = await freePort();
  base = `http://127.0.0.1:${port}`;
  mint = spawn(
    mintBin,
    ['--listen', `127.0.0.1:${port}`, '--data-dir', dataDir, '--wallet-dir', walletDir, '--name', mintName,
      '--description', 'Started by the end-to-end test.'],
    { env: { ...process.env, RUST_LOG: 'info' }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  mint.stdout.on('data', (chunk) => { mintLog += chunk; });
  mint.stderr.on('data', (chunk) => { mintLog += chunk; });
  await waitForMint(`${base}/v1/info`, 30_000);
  browser = await chromium.launch({
    executablePath: chromiumPath,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update',
      '--disable-sync', '--no-first-run'],
  });
});

after(async () => {
  await browser?.close();
  if (mint && mint.exitCode === null) {
    const exited = new Promise((done) => mint.once('exit', done));
    mint.kill('SIGTERM');
    await exited;
  }
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

test('GET /v1/info answers NUT-06 JSON', async () => {
  const response = await fetch(`${base}/v1/info`);
  assert.equal(response.status, 200);
  assert.match(response.headers.get('content-type'), /^application\/json/);
  const info = await response.json();
  assert.equal(info.name, mintName);
  assert.match(info.version, /^chaumian-mint\/\d+\.\d+\.\d+/);
  assert.equal(typeof info.time, 'number');
  assert.ok(Math.abs(info.time - Date.now() / 1000) < 60, 'the mint clock is near ours');
  assert.equal(typeof info.nuts, 'object');
});

test('the wallet page opens on its first-run screen, with its PWA files', async () => {
  const page = await browser.newPage({ viewport: { width: 1000, height: 760 } });
  const problems = [];
  page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
  page.on('console', (message) => {
    if (message.type() === 'error') problems.push(`console error: ${message.text()}`);
  });

  const response = await page.goto(`${base}/`);
  assert.equal(response.status(), 200);
  assert.equal(await page.title(), 'Chaumian Wallet');
  await page.getByRole('heading', { level: 1, name: 'Welcome' }).waitFor({ timeout: 20_000 });
  assert.ok(await page.getByRole('button', { name: 'Create a new wallet' }).isVisible());
  assert.ok(await page.getByRole('button', { name: 'Restore from recovery words' }).isVisible());
  await page.setViewportSize({ width: 390, height: 844 });
  await page.screenshot({ path: join(screenshots, 'welcome-narrow.png'), fullPage: true });

  const manifest = await (await fetch(`${base}/manifest.webmanifest`)).json();
  assert.equal(manifest.start_url, '/');
  for (const icon of manifest.icons) {
    const answer = await fetch(new URL(icon.src, base));
    assert.equal(answer.status, 200, icon.src);
    assert.equal(answer.headers.get('content-type'), icon.type, icon.src);
  }
  const worker = await fetch(`${base}/sw.js`);
  assert.equal(worker.status, 200);
  assert.match(worker.headers.get('content-type'), /javascript/);
  const source = await worker.text();
  assert.match(source, /const BUILD_VERSION = '[0-9a-f]{16}';/, 'the build stamped its version into sw.js');
  assert.match(source, /const PRECACHE = \[.*\.wasm".*\];/, 'the build listed its files in sw.js');
  assert.deepEqual(problems, []);
  await page.close();
});

test('a deep link loads the wallet too', async () => {
  const page = await browser.newPage();
  const response = await page.goto(`${base}/some/client/route`);
  assert.equal(response.status(), 200);
  await page.getByRole('heading', { level: 1, name: 'Welcome' }).waitFor({ timeout: 20_000 });
  await page.close();
});
