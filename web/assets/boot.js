// Starts the app's wasm. Trunk would inline this as a <script type="module">, which the page's
// Content-Security-Policy (script-src 'self') forbids; Trunk.toml's `pattern_script` loads this
// file instead and hands over the hashed file names in data attributes.
const boot = document.querySelector("script[data-js][data-wasm]");
const { default: init } = await import(new URL(boot.dataset.js, document.baseURI).href);
await init({ module_or_path: new URL(boot.dataset.wasm, document.baseURI).href });

// Offline reuse after the first visit (see sw.js). Service workers need a secure context
// (https or localhost); elsewhere the app still works, just not offline.
if ("serviceWorker" in navigator && window.isSecureContext) {
  navigator.serviceWorker.register(new URL("sw.js", document.baseURI)).catch((err) => {
    console.warn("layerlens: offline cache unavailable:", err.message);
  });
}
