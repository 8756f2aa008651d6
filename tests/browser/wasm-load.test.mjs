// A .wasm that does not load gives an error a user can act on: the URL
// tried and what the server answered (a 404, or an HTML page as a dev
// server's fallback sends), not Emscripten's "Build with -s ASSERTIONS=1".
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { readFile } from 'node:fs/promises';
import { join, normalize, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { launchChromium } from './chromium.mjs';

const repoRoot = fileURLToPath(new URL('../..', import.meta.url));
const HTML = '<!doctype html><html><body>app shell</body></html>';

// Serves the package's js/ and the core's .mjs; the .wasm as `wasmMode` says.
function startServer(wasmMode) {
  const server = createServer(async (request, response) => {
    const path = new URL(request.url, 'http://x').pathname;
    if (path === '/') return response.end(HTML);
    if (path === '/dist/rtcmesh-core.wasm') {
      if (wasmMode === 'missing') return response.writeHead(404).end('not found');
      return response.writeHead(200, { 'content-type': 'text/html' }).end(HTML); // a dev server's SPA fallback
    }
    const file = normalize(join(repoRoot, path));
    const allowed = file.startsWith(join(repoRoot, 'js') + sep) || file === join(repoRoot, 'dist/rtcmesh-core.mjs');
    if (!allowed) return response.writeHead(404).end();
    try {
      response.writeHead(200, { 'content-type': 'text/javascript' }).end(await readFile(file));
    } catch {
      response.writeHead(404).end();
    }
    return undefined;
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

let browser;
before(async () => { browser = await launchChromium(); });
after(async () => { await browser?.close(); });

for (const [mode, cause] of [['missing', /the server answered HTTP 404\. Serve dist\/rtcmesh-core\.wasm next to rtcmesh-core\.mjs/], ['html', /an HTML page \(text\/html\), not the \.wasm: a dev server's fallback .*optimizeDeps\.exclude/]]) {
  test(`a .wasm that is ${mode} is named, with the likely cause`, { timeout: 60000 }, async () => {
    const server = await startServer(mode);
    const base = `http://127.0.0.1:${server.address().port}`;
    const page = await browser.context.newPage();
    try {
      await page.goto(`${base}/`);
      const message = await page.evaluate(() => import('/js/index.js').then(() => 'loaded', (error) => error.message));
      assert.ok(message.includes(`could not be loaded from ${base}/dist/rtcmesh-core.wasm: `), message);
      assert.match(message, cause);
      assert.doesNotMatch(message, /ASSERTIONS/);
    } finally {
      await page.close();
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });
}
