// Starts and stops the real mint binary for the interoperability tests: fake bolt11 backend, an ephemeral
// 127.0.0.1 port (read from its "listening on" log line), a fresh data directory removed afterwards.
import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { access, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const mintBin = process.env.MINT_BIN ?? join(root, 'target', 'debug', 'mint-server');

/**
 * Starts the mint; resolves once it answers GET /v1/keysets. `walletDir`: the wallet bundle to serve at `/`
 * (none by default); `args`: more command-line flags.
 */
export async function startMint({ name = 'Interop mint', timeoutMs = 30_000, walletDir, args = [] } = {}) {
  await access(mintBin).catch(() => {
    throw new Error(`no mint binary at ${mintBin}: run cargo build -p mint-server (or set MINT_BIN)`);
  });
  const dataDir = await mkdtemp(join(tmpdir(), 'mint-interop-'));
  const child = spawn(
    mintBin,
    ['--listen', '127.0.0.1:0', '--data-dir', join(dataDir, 'data'), '--wallet-dir', walletDir ?? join(dataDir, 'no-wallet'),
      '--fake-bolt11', '--name', name, ...args],
    { env: { ...process.env, RUST_LOG: 'info' }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const mint = { child, dataDir, log: '', base: undefined };
  child.stdout.on('data', (chunk) => { mint.log += chunk; });
  try {
    mint.base = await new Promise((resolveUrl, reject) => {
      const timer = setTimeout(() => reject(new Error(`the mint did not report its address:\n${mint.log}`)), timeoutMs);
      child.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`the mint exited with ${code}:\n${mint.log}`));
      });
      child.stderr.on('data', (chunk) => {
        mint.log += chunk;
        const found = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(mint.log);
        if (found) {
          clearTimeout(timer);
          resolveUrl(found[1]);
        }
      });
    });
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      try {
        if ((await fetch(`${mint.base}/v1/keysets`)).ok) return mint;
      } catch {
        // not accepting connections yet
      }
      if (Date.now() > deadline) throw new Error(`the mint did not answer at ${mint.base}:\n${mint.log}`);
      await new Promise((done) => setTimeout(done, 100));
    }
  } catch (error) {
    await stopMint(mint);
    throw error;
  }
}

/** A request to the mint's admin API (bearer token from its data directory); resolves with the JSON answer. */
export async function admin(mint, method, path, body) {
  const token = (await readFile(join(mint.dataDir, 'data', 'admin.token'), 'utf8')).trim();
  const response = await fetch(`${mint.base}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  if (!response.ok) throw new Error(`${method} ${path}: HTTP ${response.status}: ${text}`);
  return JSON.parse(text);
}

/** SIGTERM (SIGKILL after 10 s), then removes the data directory. */
export async function stopMint(mint) {
  if (!mint) return;
  const { child } = mint;
  if (child.exitCode === null && child.signalCode === null) {
    const exited = new Promise((done) => child.once('exit', done));
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    await exited;
    clearTimeout(timer);
  }
  await rm(mint.dataDir, { recursive: true, force: true });
  if (process.env.INTEROP_VERBOSE) process.stderr.write(mint.log);
}

/** A port that was free a moment ago. */
export function freePort() {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolvePort(port));
    });
  });
}
