// The wallet's service worker: keeps the app shell (the page, the wasm, its JS glue, the stylesheet, the
// icons) in a cache so the wallet opens with no network. The mint's API (/v1/*) and the admin API are never
// cached: balances, quotes and token states must always come from the mint.
//
// The build (Trunk's post_build hook, wallet-web/sw-build.sh) replaces BUILD_VERSION with a hash of the
// bundle and PRECACHE with its file list, so each build gets its own cache and old ones are dropped.
const BUILD_VERSION = 'dev';
const PRECACHE = [];
const CACHE_PREFIX = 'chaumian-wallet-shell-';
const CACHE = CACHE_PREFIX + BUILD_VERSION;
const SHELL = new URL('./', self.registration.scope).href;

self.addEventListener('install', (event) => {
  event.waitUntil((async () => {
    const cache = await caches.open(CACHE);
    // `reload`: straight from the mint, not from the HTTP cache, so the cache matches this build.
    await cache.addAll([SHELL, ...PRECACHE].map((url) => new Request(url, { cache: 'reload' })));
    await self.skipWaiting();
  })());
});

self.addEventListener('activate', (event) => {
  event.waitUntil((async () => {
    for (const name of await caches.keys()) {
      if (name.startsWith(CACHE_PREFIX) && name !== CACHE) await caches.delete(name);
    }
    await self.clients.claim();
  })());
});

/** Requests the service worker leaves alone: other origins, anything but GET, and the mint's APIs. */
function passThrough(request, url) {
  return request.method !== 'GET'
    || url.origin !== self.location.origin
    || url.pathname.startsWith('/v1/')
    || url.pathname.startsWith('/admin/')
    || url.pathname === '/sw.js';
}

self.addEventListener('fetch', (event) => {
  const { request } = event;
  const url = new URL(request.url);
  if (passThrough(request, url)) return;
  if (request.mode === 'navigate') {
    // The page: fresh from the mint when it answers (so a new build is picked up), the cached copy otherwise.
    event.respondWith((async () => {
      try {
        const response = await fetch(request);
        if (response.ok) {
          const cache = await caches.open(CACHE);
          await cache.put(SHELL, response.clone());
        }
        return response;
      } catch (error) {
        const cached = await caches.match(SHELL);
        if (cached) return cached;
        throw error;
      }
    })());
    return;
  }
  // Assets are named by content hash: the cached copy is always right.
  event.respondWith((async () => {
    const cached = await caches.match(request);
    if (cached) return cached;
    const response = await fetch(request);
    if (response.ok && response.type === 'basic') {
      const cache = await caches.open(CACHE);
      await cache.put(request, response.clone());
    }
    return response;
  })());
});
