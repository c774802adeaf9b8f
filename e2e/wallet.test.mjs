// End-to-end: two people use the real wallet page, served by the real mint binary, in headless Chromium.
// A creates a wallet, adds money (fake Lightning invoice, and from a bank account at the mint), sends tokens;
// B receives one; a second receive of the same token is refused; A sees the redeemed send finish and takes an
// unredeemed one back. Then: a reload in the middle of a send recovers; the page opens offline; a fresh
// profile restores A's money from the recovery words; a wallet made with a passphrase opens locked after a
// reload, refuses a wrong passphrase and unlocks with the right one; and no request ever carried the recovery
// words, a blinding factor or the secret of a note the wallet still holds.
//
// Needs MINT_BIN and WALLET_DIR (scripts/test sets both). Screenshots go to target/screenshots/.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { admin } from './support/mint-process.mjs';
import {
  addMoneyByInvoice, balance, createWallet, dumpWalletDatabase, endWalletTest, go, open, pendingTotal, person,
  receive, sats, send, shots, startWalletTest, STEP, valuesUnder,
} from './support/wallet-page.mjs';

let mint;
let browser;
let alice;
let bob;
let alicePage;
let bobPage;
let aliceWords;
let tokenForBob;
let tokenToReclaim;
let bankAccount;

before(async () => {
  ({ mint, browser, people: [alice, bob] } = await startWalletTest({
    mint: { name: 'E2E Wallet Mint', args: ['--description', 'Started by the wallet end-to-end test.'] },
    people: [{ name: 'A' }, { name: 'B' }],
  }));
});

after(() => endWalletTest({ mint, browser }));

test('A creates a wallet; the mint that served the page is in it', STEP, async () => {
  alicePage = await open(alice, mint.base);
  aliceWords = await createWallet(alicePage, { screenshots: shots });
  assert.equal(await balance(alicePage), 0);
  const mints = alicePage.getByTestId('mint-list');
  await mints.getByText('E2E Wallet Mint').waitFor();
  assert.match(await mints.textContent(), /Lightning invoice/);
  assert.match(await mints.textContent(), /bank account/);
});

test('A adds money with a (fake) Lightning invoice', STEP, async () => {
  const status = await addMoneyByInvoice(alicePage, 1000);
  assert.match(status, /Added 1,000 sat\. Your balance is 1,000 sat\./);
  await alicePage.screenshot({ path: join(shots, '04-added-money.png'), fullPage: true });
  assert.equal(await balance(alicePage), 1000);
  await alicePage.screenshot({ path: join(shots, '05-home.png'), fullPage: true });
  await alicePage.setViewportSize({ width: 390, height: 844 });
  await alicePage.screenshot({ path: join(shots, '05-home-narrow.png'), fullPage: true });
  await alicePage.setViewportSize({ width: 1000, height: 800 });
});

test('A adds money from a bank account at the mint, opened for the key the page shows', STEP, async () => {
  await go(alicePage, 'Add money');
  await alicePage.getByLabel('My bank account at the mint').check();
  const key = (await alicePage.getByTestId('account-key').textContent()).trim();
  assert.match(key, /^0[23][0-9a-f]{64}$/);
  const account = await admin(mint, 'POST', '/admin/accounts', { pubkey: key });
  bankAccount = account.id;
  await admin(mint, 'POST', `/admin/accounts/${account.id}/credit`, { amount: 500, reference: 'e2e' });
  await alicePage.getByLabel('Your account number at the mint').fill(String(account.id));
  await alicePage.getByLabel('Amount (sat)').first().fill('300');
  await alicePage.screenshot({ path: join(shots, '06-add-money-bank.png'), fullPage: true });
  await alicePage.getByRole('main').getByRole('button', { name: 'Add money' }).click();
  const status = alicePage.getByTestId('add-money-status');
  await status.locator('.done, .failed').waitFor();
  assert.match(await status.textContent(), /Added 300 sat\. Your balance is 1,300 sat\./);
  const after = await admin(mint, 'GET', `/admin/accounts/${account.id}`);
  assert.equal(after.balance, 200, 'the account was debited');
});

test('A sends a token; B (a fresh wallet) receives it', STEP, async () => {
  tokenForBob = await send(alicePage, 120, { memo: 'lunch', screenshot: join(shots, '07-send-token.png') });
  tokenToReclaim = await send(alicePage, 80);
  assert.equal(await balance(alicePage), 1100);

  bobPage = await open(bob, mint.base);
  await createWallet(bobPage);
  const { preview, status } = await receive(bobPage, tokenForBob, { screenshot: join(shots, '08-receive-preview.png') });
  assert.match(preview, /Token for 120 sat/);
  assert.match(preview, /lunch/);
  assert.match(preview, /verified offline/);
  assert.match(status, /Received 120 sat\. Your balance is 120 sat\./);
  await bobPage.screenshot({ path: join(shots, '09-received.png'), fullPage: true });
  assert.equal(await balance(bobPage), 120);
});

test('a damaged token and a second receive of the same token are refused in plain words', STEP, async () => {
  await go(bobPage, 'Receive');
  await bobPage.getByLabel('Token', { exact: true }).fill(tokenForBob.slice(0, 60));
  await bobPage.getByRole('button', { name: 'Check token' }).click();
  await bobPage.getByRole('alert').filter({ hasText: 'Check that you copied all of it' }).waitFor();

  const { status } = await receive(bobPage, tokenForBob);
  assert.match(status, /already been redeemed/);
  await bobPage.screenshot({ path: join(shots, '10-already-redeemed.png'), fullPage: true });
  assert.equal(await balance(bobPage), 120);
});

test("A's redeemed send finishes on refresh; A takes the other one back", STEP, async () => {
  await go(alicePage, 'Activity');
  const pending = alicePage.getByTestId('pending-send');
  assert.equal(await pending.count(), 2);
  await alicePage.getByRole('button', { name: 'Check which were redeemed' }).click();
  await alicePage.getByTestId('pending-status').getByText('1 token was redeemed by the receiver.').waitFor();
  assert.equal(await pending.count(), 1);
  assert.match(await pending.first().textContent(), /80 sat/);
  await alicePage.screenshot({ path: join(shots, '11-activity.png'), fullPage: true });
  await alicePage.getByRole('button', { name: /^Take back 80 sat/ }).click();
  await alicePage.getByTestId('banner').getByText('Took back 80 sat.').waitFor();
  assert.equal(await pending.count(), 0);
  assert.equal(await balance(alicePage), 1180);
  await go(alicePage, 'Activity');
  const rows = alicePage.getByTestId('history-row');
  const kinds = await rows.evaluateAll((list) => list.map((row) => `${row.dataset.kind}:${row.dataset.status}`));
  assert.deepEqual(kinds.toSorted(), ['Added:done', 'Added:done', 'Sent:done', 'Sent:done', 'Taken back:done'].toSorted(),
    `history: ${kinds}`);
  // The token B already redeemed cannot be taken back: nothing is double counted.
  await alicePage.screenshot({ path: join(shots, '12-history.png'), fullPage: true });
});

test('settings show the recovery words only after a warning, and the account key', STEP, async () => {
  await go(alicePage, 'Settings');
  assert.equal(await alicePage.getByTestId('settings-recovery-words').count(), 0);
  await alicePage.getByRole('button', { name: 'Show recovery words' }).click();
  await alicePage.getByText('Anyone who sees these words can take all your money.').waitFor();
  await alicePage.getByRole('button', { name: 'Show them' }).click();
  await alicePage.getByTestId('settings-recovery-words').waitFor();
  const words = (await alicePage.getByTestId('settings-recovery-words').locator('li').allTextContents()).map((w) => w.trim());
  assert.deepEqual(words, aliceWords);
  assert.match(await alicePage.getByTestId('settings-account-key').textContent(), /^0[23][0-9a-f]{64}$/);
  await alicePage.getByRole('button', { name: 'Hide' }).click();
  await alicePage.screenshot({ path: join(shots, '13-settings.png'), fullPage: true });
});

test('a reload in the middle of a send recovers: nothing is lost', STEP, async () => {
  const before = await balance(alicePage);
  const pendingBefore = await pendingTotal(alicePage);
  // The mint performs the swap, but its answer never reaches the page: the page reloads first.
  let swapSeen;
  const swapped = new Promise((done) => { swapSeen = done; });
  await alicePage.route('**/v1/swap', async (route) => {
    const response = await route.fetch();
    swapSeen(response.status());
    // never fulfilled: the answer is lost
  });
  await go(alicePage, 'Send');
  // Every note so far is even (all amounts were), so an odd amount needs a swap.
  await alicePage.getByLabel('Amount (sat)').fill('55');
  await alicePage.getByRole('button', { name: 'Create token' }).click();
  assert.equal(await swapped, 200, 'the mint answered the swap');
  await alicePage.unrouteAll({ behavior: 'ignoreErrors' });
  await alicePage.reload();
  await alicePage.getByRole('heading', { name: 'Balance' }).waitFor();
  // The swap reached the mint, so recovery finishes it (the same request again: NUT-19 answers the same).
  assert.match(await alicePage.getByTestId('banner').textContent(), /Finished 1 interrupted payment/);
  await alicePage.screenshot({ path: join(shots, '14-recovered-after-reload.png'), fullPage: true });
  const spendable = await balance(alicePage);
  const pendingAfter = await pendingTotal(alicePage);
  assert.equal(spendable + pendingAfter, before + pendingBefore,
    `spendable ${spendable} + pending ${pendingAfter} = ${before} + ${pendingBefore} before`);
  const interrupted = pendingAfter - pendingBefore;
  assert.ok(interrupted === 0 || interrupted === 55, `the interrupted send is either finished or undone: ${interrupted}`);
  // Whatever recovery did, the money can be taken back and the balance is whole again.
  if (interrupted > 0) {
    await alicePage.getByRole('button', { name: /^Take back 55 sat/ }).click();
    await alicePage.getByTestId('banner').getByText('Took back 55 sat.').waitFor();
  }
  assert.equal(await balance(alicePage), before);
});

test('the page opens offline after the first visit (service worker)', STEP, async () => {
  await alicePage.evaluate(async () => { await navigator.serviceWorker.ready; });
  await alicePage.reload();
  await alicePage.getByRole('heading', { name: 'Balance' }).waitFor();
  await alice.context.setOffline(true);
  try {
    await alicePage.reload();
    await alicePage.getByRole('heading', { name: 'Balance' }).waitFor();
    assert.equal(sats(await alicePage.getByTestId('balance').textContent()), 1180);
    await alicePage.screenshot({ path: join(shots, '15-offline.png'), fullPage: true });
  } finally {
    await alice.context.setOffline(false);
  }
  const api = alice.requests.filter((request) => new URL(request.url).pathname.startsWith('/v1/'));
  assert.ok(api.length > 0);
  const cacheNames = await alicePage.evaluate(() => caches.keys());
  assert.ok(cacheNames.some((name) => /^chaumian-wallet-shell-[0-9a-f]{16}$/.test(name)), `caches: ${cacheNames}`);
  const cachedApi = await alicePage.evaluate(async () => {
    const urls = [];
    for (const name of await caches.keys()) {
      for (const request of await (await caches.open(name)).keys()) urls.push(request.url);
    }
    return urls.filter((url) => new URL(url).pathname.startsWith('/v1/'));
  });
  assert.deepEqual(cachedApi, [], 'mint API answers are never cached');
});

test("a fresh profile restores A's money from the recovery words", STEP, async () => {
  const carol = await person(browser, 'A-restored');
  const page = await open(carol, mint.base);
  await page.getByRole('button', { name: 'Restore from recovery words' }).click();
  await page.getByLabel('Recovery words').fill(aliceWords.join(' '));
  await page.screenshot({ path: join(shots, '16-restore.png'), fullPage: true });
  await page.getByRole('button', { name: 'Restore wallet' }).click();
  await page.getByRole('heading', { name: 'Balance' }).waitFor({ timeout: 180_000 });
  assert.match(await page.getByTestId('banner').textContent(), /Recovered 1,180 sat\./);
  assert.equal(await balance(page), 1180);
  await page.screenshot({ path: join(shots, '17-restored.png'), fullPage: true });
  // Everyone's requests are checked below, the restored profile's too.
  alice.requests.push(...carol.requests);
  alice.problems.push(...carol.problems);
  await carol.context.close();
});

test('a wallet with a passphrase opens locked; a wrong passphrase is refused, the right one unlocks', STEP, async () => {
  const dana = await person(browser, 'D');
  const page = await open(dana, mint.base);
  const passphrase = 'correct horse battery staple';
  const words = await createWallet(page, { passphrase });
  assert.match(await addMoneyByInvoice(page, 250), /Added 250 sat\./);
  assert.equal(await balance(page), 250);

  // IndexedDB holds the words sealed (the stated format), never in clear.
  const stored = await dumpWalletDatabase(page);
  const sealed = stored.meta.filter((record) => record && typeof record === 'object' && 'ciphertext' in record);
  assert.equal(sealed.length, 1, 'one sealed record');
  const [record] = sealed;
  assert.deepEqual(Object.keys(record).toSorted(), ['cipher', 'ciphertext', 'kdf', 'version']);
  assert.deepEqual([record.version, record.kdf.name, record.kdf.iterations, record.cipher.name],
    [1, 'PBKDF2-HMAC-SHA256', 600000, 'AES-256-GCM']);
  assert.match(record.kdf.salt, /^[0-9a-f]{32}$/);
  assert.match(record.cipher.iv, /^[0-9a-f]{24}$/);
  assert.match(record.ciphertext, /^[0-9a-f]+$/);
  const text = JSON.stringify(stored);
  assert.ok(!text.includes(words.join(' ')) && !text.includes(passphrase), 'the phrase or passphrase is stored');
  assert.ok(!stored.meta.some((value) => typeof value === 'string' && words.some((word) => value.includes(word))),
    'a recovery word is stored as text');

  // A reload: the lock screen, and nothing else of the wallet.
  await page.reload();
  await page.getByRole('heading', { name: 'Unlock your wallet' }).waitFor();
  assert.equal(await page.getByRole('navigation', { name: 'Wallet' }).count(), 0, 'no navigation while locked');
  await page.screenshot({ path: join(shots, '19-locked.png'), fullPage: true });
  // A wrong passphrase is refused in plain words; nothing in the wallet's database changes.
  await page.getByLabel('Passphrase', { exact: true }).fill('correct horse battery stapler');
  await page.getByRole('button', { name: 'Unlock' }).click();
  await page.getByRole('alert').filter({ hasText: 'That passphrase is not right. Nothing was changed; try again.' }).waitFor();
  await page.screenshot({ path: join(shots, '20-wrong-passphrase.png'), fullPage: true });
  assert.deepEqual(await dumpWalletDatabase(page), stored, 'a wrong passphrase touches nothing');
  // The right one unlocks, and the money is there.
  await page.getByLabel('Passphrase', { exact: true }).fill(passphrase);
  await page.getByRole('button', { name: 'Unlock' }).click();
  await page.getByRole('heading', { name: 'Balance' }).waitFor();
  assert.equal(await balance(page), 250);
  await page.screenshot({ path: join(shots, '21-unlocked.png'), fullPage: true });

  // Showing the recovery words asks for the passphrase too.
  await go(page, 'Settings');
  assert.match(await page.getByTestId('passphrase-state').textContent(), /stored encrypted with your passphrase/);
  await page.getByRole('button', { name: 'Show recovery words' }).click();
  await page.getByLabel('Your passphrase', { exact: true }).fill('wrong');
  await page.getByRole('button', { name: 'Show them' }).click();
  await page.getByRole('alert').filter({ hasText: 'That passphrase is not right.' }).waitFor();
  await page.getByLabel('Your passphrase', { exact: true }).fill(passphrase);
  await page.getByRole('button', { name: 'Show them' }).click();
  const shown = page.getByTestId('settings-recovery-words');
  await shown.waitFor();
  assert.deepEqual((await shown.locator('li').allTextContents()).map((word) => word.trim()), words);
  await page.screenshot({ path: join(shots, '22-settings-passphrase.png'), fullPage: true });
  // Everyone's requests are checked below, this profile's too.
  alice.requests.push(...dana.requests);
  alice.problems.push(...dana.problems);
  await dana.context.close();
});

test('A withdraws to the bank account at the mint', STEP, async () => {
  const before = await balance(alicePage);
  const accountBefore = (await admin(mint, 'GET', `/admin/accounts/${bankAccount}`)).balance;
  await go(alicePage, 'Add money');
  await alicePage.getByLabel('Account number', { exact: true }).fill(String(bankAccount));
  await alicePage.getByLabel('Amount (sat)').nth(1).fill('100');
  await alicePage.getByRole('button', { name: 'Withdraw' }).click();
  const status = alicePage.getByTestId('withdraw-status');
  await status.locator('.done, .failed').waitFor();
  assert.match(await status.textContent(), new RegExp(`Moved 100 sat to account ${bankAccount}\\.`));
  await alicePage.screenshot({ path: join(shots, '18-withdrawn.png'), fullPage: true });
  const accountAfter = (await admin(mint, 'GET', `/admin/accounts/${bankAccount}`)).balance;
  assert.equal(accountAfter - accountBefore, 100, 'the account was credited');
  assert.equal(await balance(alicePage), before - 100, 'no fee at this mint');
});

test('no request carried the recovery words, a blinding factor or a held note secret', STEP, async () => {
  const requests = [...alice.requests, ...bob.requests];
  assert.ok(requests.some((request) => request.url.endsWith('/v1/swap') && request.body.length > 0));
  const phrase = aliceWords.join(' ');
  const secrets = [];
  for (const page of [alicePage, bobPage]) {
    const db = await dumpWalletDatabase(page);
    assert.ok(Object.keys(db).length > 0, 'the wallet database exists');
    // Secrets and blinding factors of journaled operations' outputs and of the spendable notes (a note in a
    // token, or spent as an input, was meant to be shown: to the receiver, then to the mint).
    secrets.push(...valuesUnder(db.ops ?? [], /^(r|secret)$/));
    for (const note of (db.notes ?? []).filter((record) => record?.state?.state === 'unspent')) {
      secrets.push(...valuesUnder(note, /^(r|secret)$/));
    }
  }
  const heldSecrets = secrets.filter((value) => value.length >= 16);
  assert.ok(heldSecrets.length > 0, 'found the secrets to look for');
  for (const request of requests) {
    assert.ok(!request.body.includes(phrase) && !request.url.includes(aliceWords.slice(0, 3).join('%20')),
      `the recovery words were sent to ${request.url}`);
    for (const secret of heldSecrets) {
      assert.ok(!request.body.includes(secret) && !request.url.includes(secret), `a secret was sent to ${request.url}`);
    }
  }
  assert.deepEqual([...alice.problems, ...bob.problems], []);
});
