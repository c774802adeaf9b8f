// End-to-end on a phone-sized screen (360 x 740, touch): every screen of the wallet fits the width (no
// horizontal scrolling) with the navigation as a bar at the bottom, and is saved as a screenshot
// (target/screenshots/phone-*.png). Home's one-tap actions: Pay opens Send, Request opens Receive, a pasted
// text is routed by what it is (a token to Receive, an offline request to Offline) and anything else is
// refused in plain words. A `cashu:` link (`/?cashu=web+cashu:<token>`, as a registered protocol handler opens
// it) lands on Receive with the token filled in. Times are in the person's own time zone (history showed UTC).
// Payment requests (NUT-18): B shows a creqA for 21 sat, A pastes it and pays in one step, B receives the
// token; a request for more than A has is refused. Share: absent without the Web Share API (Debian's headless
// Chromium), and hands over exactly the token where the browser has it.
//
// Needs MINT_BIN and WALLET_DIR (scripts/test sets both).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import {
  addMoneyByInvoice, balance, createWallet, endWalletTest, go, open, send, shots, startWalletTest, STEP,
} from './support/wallet-page.mjs';

const PHONE = { viewport: { width: 360, height: 740 }, isMobile: true, hasTouch: true };
// Fourteen hours east of UTC: a time shown in UTC is a different hour here, mostly a different day.
const ZONE = 'Pacific/Kiritimati';
const SCREENS = ['Wallet', 'Add money', 'Send', 'Receive', 'Offline', 'Activity', 'Settings'];

let mint;
let browser;
let alice;
let bob;
let alicePage;
let bobPage;

before(async () => {
  ({ mint, browser, people: [alice, bob] } = await startWalletTest({
    mint: { name: 'E2E Phone Mint' },
    people: [{ name: 'A', ...PHONE, timezoneId: ZONE }, { name: 'B', ...PHONE }],
  }));
});

after(() => endWalletTest({ mint, browser }));

/** Checks the page fits 360 px and the navigation is a visible bar at the bottom of the screen. */
async function fitsThePhone(page, what) {
  const width = await page.evaluate(() => document.documentElement.scrollWidth);
  assert.ok(width <= 360, `${what}: the page is ${width} px wide on a 360 px screen`);
  // Tables scroll inside their box where they must; none should have to on a phone.
  const clipped = await page.evaluate(() => [...document.querySelectorAll('.table-wrap')]
    .filter((box) => box.scrollWidth > box.clientWidth + 1).map((box) => box.outerHTML.slice(0, 80)));
  assert.deepEqual(clipped, [], `${what}: a table is wider than the screen`);
  const nav = page.getByRole('navigation', { name: 'Wallet' });
  assert.ok(await nav.isVisible(), `${what}: the navigation is visible`);
  const box = await nav.boundingBox();
  assert.ok(box && Math.abs(box.y + box.height - 740) <= 1, `${what}: the navigation sits at the bottom (${JSON.stringify(box)})`);
  assert.ok(box.width >= 359, `${what}: the navigation spans the screen`);
  for (const name of SCREENS) {
    const tab = await nav.getByRole('button', { name, exact: true }).boundingBox();
    assert.ok(tab && tab.height >= 44 && tab.width >= 44, `${what}: the ${name} tab is a large tap target (${JSON.stringify(tab)})`);
  }
}

test('A on a phone: every screen fits 360 px, with the navigation at the bottom', STEP, async () => {
  alicePage = await open(alice, mint.base);
  await createWallet(alicePage);
  await addMoneyByInvoice(alicePage, 300);
  assert.equal(await balance(alicePage), 300);
  for (const name of SCREENS) {
    await go(alicePage, name);
    await fitsThePhone(alicePage, name);
    const file = `phone-${name.toLowerCase().replace(' ', '-')}.png`;
    // The screen as a phone shows it (a full-page capture would draw the fixed bar mid-page).
    await alicePage.screenshot({ path: join(shots, file) });
  }
  assert.deepEqual(alice.problems, []);
});

test('Times are in the person\'s own time zone', STEP, async () => {
  await go(alicePage, 'Activity');
  const shown = await alicePage.locator('.history td.when').first().textContent();
  assert.doesNotMatch(shown, /UTC/);
  const parts = Object.fromEntries(
    new Intl.DateTimeFormat('en-CA', {
      timeZone: ZONE, year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', hourCycle: 'h23',
    }).formatToParts(new Date()).map(({ type, value }) => [type, value]),
  );
  const local = Date.parse(`${parts.year}-${parts.month}-${parts.day}T${parts.hour}:${parts.minute}:00Z`);
  const seen = Date.parse(`${shown.trim().replace(' ', 'T')}:00Z`);
  assert.ok(Math.abs(local - seen) <= 5 * 60_000, `the money added just now shows as ${shown}, local time is ${new Date(local).toISOString()}`);
});

test('Home: Pay opens Send, Request opens Receive, a pasted text goes where it belongs', STEP, async () => {
  await go(alicePage, 'Wallet');
  const actions = alicePage.getByTestId('quick-actions');
  await actions.getByRole('button', { name: 'Pay', exact: true }).click();
  await alicePage.getByRole('heading', { level: 1, name: 'Send' }).waitFor();
  await go(alicePage, 'Wallet');
  await actions.getByRole('button', { name: 'Request', exact: true }).click();
  await alicePage.getByRole('heading', { level: 1, name: 'Receive' }).waitFor();

  await go(alicePage, 'Wallet');
  const field = alicePage.getByLabel('Or paste a token or request');
  await field.fill('lnbc1000n1pjunk');
  await alicePage.getByRole('button', { name: 'Open', exact: true }).click();
  await alicePage.getByTestId('home-open-status').getByText('This is not something this wallet can open').waitFor();
  await alicePage.screenshot({ path: join(shots, 'phone-home-refused.png') });

  // An offline request opens on the Offline screen, in "Pay offline".
  await field.fill('cashu:offlinereq1notreal');
  await alicePage.getByRole('button', { name: 'Open', exact: true }).click();
  await alicePage.getByRole('heading', { level: 1, name: 'Offline coins' }).waitFor();
  assert.equal(await alicePage.getByLabel('Payment request', { exact: true }).inputValue(), 'offlinereq1notreal');
});

test('B opens a cashu link: Receive with the token filled in, and receives it', STEP, async () => {
  const token = await send(alicePage, 21);
  bobPage = await open(bob, mint.base);
  await createWallet(bobPage);
  // What a registered `web+cashu` handler opens: the link, percent-encoded, in `?cashu=`.
  await bobPage.goto(`${mint.base}/?cashu=${encodeURIComponent(`web+cashu:${token}`)}`);
  await bobPage.getByRole('heading', { level: 1, name: 'Receive' }).waitFor();
  const field = bobPage.getByLabel('Token', { exact: true });
  await bobPage.waitForFunction(() => document.querySelector('#receive-token')?.value?.startsWith('cashuB'));
  assert.equal(await field.inputValue(), token);
  // Taken from the address bar, so a reload does not open it again.
  assert.equal(await bobPage.evaluate(() => location.search + location.hash), '');
  await fitsThePhone(bobPage, 'Receive from a link');
  await bobPage.screenshot({ path: join(shots, 'phone-link-receive.png') });
  await bobPage.getByRole('button', { name: 'Check token' }).click();
  await bobPage.getByTestId('token-preview').waitFor();
  await bobPage.getByRole('main').getByRole('button', { name: 'Receive', exact: true }).click();
  await bobPage.getByTestId('receive-status').locator('.done').waitFor({ timeout: 120_000 });
  assert.equal(await balance(bobPage), 21);
  assert.deepEqual(bob.problems, []);
});

test('B requests 21 sat; A pastes the creqA and pays in one step; B receives the token', STEP, async () => {
  await go(bobPage, 'Receive');
  const requestCard = bobPage.getByRole('region', { name: 'Request a payment' });
  await requestCard.getByLabel('Amount (sat)').fill('21');
  await requestCard.getByLabel('What it is for (optional)').fill('two coffees');
  await requestCard.getByRole('button', { name: 'Show request' }).click();
  const request = await bobPage.getByTestId('payment-request-text').inputValue();
  assert.match(request, /^creqA[A-Za-z0-9_-]+=*$/);
  assert.ok(await bobPage.getByRole('img', { name: 'QR code of the request for 21 sat' }).isVisible());
  await fitsThePhone(bobPage, 'Request a payment');
  await bobPage.getByRole('heading', { name: 'Request for 21 sat' }).screenshot({ path: join(shots, 'phone-request-heading.png') });
  await bobPage.screenshot({ path: join(shots, 'phone-request.png') });

  // A pastes it on Home: Send opens with what it asks, and one tap pays it.
  const before = await balance(alicePage);
  await alicePage.getByLabel('Or paste a token or request').fill(`cashu:${request}`);
  await alicePage.getByRole('button', { name: 'Open', exact: true }).click();
  const payCard = alicePage.getByRole('region', { name: 'Pay a request' });
  const preview = payCard.getByTestId('pay-request-preview');
  await preview.waitFor();
  assert.match(await preview.textContent(), /Request for 21 sat.*two coffees.*127\.0\.0\.1/s);
  await payCard.getByRole('button', { name: 'Pay', exact: true }).click();
  const token = await payCard.getByTestId('pay-request-token').inputValue();
  assert.match(token, /^cashuB/);
  assert.ok(await payCard.getByRole('img', { name: 'QR code of the token for 21 sat' }).isVisible());
  await fitsThePhone(alicePage, 'Pay a request');
  await alicePage.screenshot({ path: join(shots, 'phone-request-paid.png') });
  assert.equal(await balance(alicePage), before - 21);

  // B takes the token in: exactly what was asked.
  const bobBefore = await balance(bobPage);
  await go(bobPage, 'Receive');
  await bobPage.getByLabel('Token', { exact: true }).fill(token);
  await bobPage.getByRole('button', { name: 'Check token' }).click();
  assert.match(await bobPage.getByTestId('token-preview').textContent(), /Token for 21 sat/);
  await bobPage.getByRole('main').getByRole('button', { name: 'Receive', exact: true }).click();
  await bobPage.getByTestId('receive-status').locator('.done').waitFor({ timeout: 120_000 });
  assert.equal(await balance(bobPage), bobBefore + 21);

  // A request this wallet cannot pay is refused in plain words: more than A has.
  await go(bobPage, 'Receive');
  await requestCard.getByLabel('Amount (sat)').fill('100000');
  await requestCard.getByRole('button', { name: 'Show request' }).click();
  const tooMuch = await bobPage.getByTestId('payment-request-text').inputValue();
  await go(alicePage, 'Send');
  await payCard.getByLabel('Request', { exact: true }).fill(tooMuch);
  await payCard.getByRole('button', { name: 'Check request' }).click();
  await payCard.getByRole('button', { name: 'Pay', exact: true }).click();
  await alicePage.getByTestId('pay-request-status').getByText('Not enough funds').waitFor();
  assert.deepEqual([...alice.problems, ...bob.problems], []);
});

test('Share: hidden where the browser cannot share; hands the token to the share sheet where it can', STEP, async () => {
  // Debian's headless Chromium has no Web Share API: Copy is the one way, and no Share button shows.
  await go(alicePage, 'Send');
  assert.equal(await alicePage.evaluate(() => typeof navigator.share), 'undefined');
  const token = await send(alicePage, 2);
  assert.equal(await alicePage.getByTestId('send-result').getByRole('button', { name: 'Share' }).count(), 0);
  await alicePage.getByRole('button', { name: 'Send another' }).click();

  // A browser that has it (as phones do): stand-in for the system's share sheet that records what it got.
  await alice.context.addInitScript(() => {
    window.sharedWith = [];
    navigator.share = (data) => { window.sharedWith.push(data); return Promise.resolve(); };
  });
  await alicePage.reload();
  const sent = await send(alicePage, 3);
  assert.notEqual(sent, token);
  await alicePage.getByTestId('send-result').getByRole('button', { name: 'Share' }).click();
  await alicePage.waitForFunction(() => window.sharedWith.length === 1);
  assert.deepEqual(await alicePage.evaluate(() => window.sharedWith), [{ title: 'Cashu token', text: sent }]);
  await fitsThePhone(alicePage, 'Share');
  assert.deepEqual(alice.problems, []);
});
