// Offline reuse: after one visit the app loads and analyses without a network. Network first
// (so a new deployment is picked up at once), falling back to the cache. Only this origin's
// GET requests are touched; images dropped on the page never pass through here (they are
// read from disk by the worker).
//
// The first visit's requests happen before this worker controls the page, so installing
// fetches the app's files itself: the page (this worker's directory), every file it names
// (the hashed wasm and JS in boot's data attributes, the style sheet), the worker's loader
// and the files the loader names, and the bundled sample.
const CACHE = "layerlens-v2";

// Same-origin files a text names: quoted or attribute values ending in a known extension.
function named(text, base) {
  const out = new Set();
  const re = /["'`=]\s*["']?([^"'`\s<>()]+\.(?:js|wasm|css|tar|json|svg|png|ico))(?=["'`\s>])/g;
  for (const m of text.matchAll(re)) {
    try {
      const u = new URL(m[1], base);
      if (u.origin === self.location.origin) out.add(u.href);
    } catch {
      // Not a URL: ignore.
    }
  }
  return out;
}

async function precache() {
  const cache = await caches.open(CACHE);
  const scope = self.registration.scope;
  const seen = new Set();
  const put = async (url) => {
    if (seen.has(url)) return null;
    seen.add(url);
    const res = await fetch(url, { cache: "no-cache" });
    if (!res.ok) return null;
    const text = /\.(?:js|css)$|\/$|\.html$/.test(new URL(url).pathname) ? await res.clone().text() : null;
    await cache.put(url, res);
    return text;
  };
  const page = await put(scope);
  if (page === null) throw new Error("the app's page could not be fetched");
  const queue = [...named(page, scope), new URL("worker_loader.js", scope).href, new URL("sample.tar", scope).href];
  // One level of the files they name (the loader names the worker's JS and wasm).
  while (queue.length) {
    const url = queue.shift();
    let text = null;
    try {
      text = await put(url);
    } catch {
      continue;
    }
    if (text && url.endsWith(".js")) {
      for (const more of named(text, url)) if (!seen.has(more)) queue.push(more);
    }
  }
}

self.addEventListener("install", (event) => {
  self.skipWaiting();
  event.waitUntil(precache());
});

self.addEventListener("activate", (event) =>
  event.waitUntil(
    (async () => {
      for (const name of await caches.keys()) if (name !== CACHE) await caches.delete(name);
      await self.clients.claim();
    })(),
  ),
);

self.addEventListener("fetch", (event) => {
  const req = event.request;
  if (req.method !== "GET" || new URL(req.url).origin !== self.location.origin) return;
  event.respondWith(
    (async () => {
      const cache = await caches.open(CACHE);
      try {
        const res = await fetch(req);
        if (res.ok && res.type === "basic") await cache.put(req, res.clone());
        return res;
      } catch (err) {
        const hit =
          (await cache.match(req, { ignoreSearch: true })) ||
          // The page asked for by name or by its directory is the same page.
          (req.mode === "navigate" ? await cache.match(self.registration.scope) : undefined);
        if (hit) return hit;
        throw err;
      }
    })(),
  );
});
