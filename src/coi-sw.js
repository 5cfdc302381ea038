// Service worker that makes this static site cross-origin isolated (see
// src/compute/isolation.ts): every same-origin response gets the COOP and
// COEP headers that give pages SharedArrayBuffer, so WebAssembly can compute
// on every core. Other origins are left alone (the site loads nothing from
// them). Served at the site's root so that its scope covers every page:
// `npm run build` copies it there as is (postbuild; Framework would wrap it
// in a module), and `npm run dev` serves src/coi-sw.js at /coi-sw.js.
self.addEventListener("install", () => self.skipWaiting());
self.addEventListener("activate", (event) => event.waitUntil(self.clients.claim()));
self.addEventListener("fetch", (event) => {
  const request = event.request;
  if (new URL(request.url).origin !== self.location.origin) return;
  if (request.cache === "only-if-cached" && request.mode !== "same-origin") return;
  event.respondWith(
    fetch(request).then((response) => {
      if (response.status === 0) return response;
      const headers = new Headers(response.headers);
      headers.set("Cross-Origin-Opener-Policy", "same-origin");
      headers.set("Cross-Origin-Embedder-Policy", "require-corp");
      headers.set("Cross-Origin-Resource-Policy", "same-origin");
      return new Response(response.body, {status: response.status, statusText: response.statusText, headers});
    }),
  );
});
