// A small static file server for the demo and the browser tests, loopback only.
// It serves the page folder at / and the package's js/ and dist/ folders, which
// the page imports as /js/... and /dist/....
import { createServer } from 'node:http';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { extname, join, normalize, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const repoRoot = fileURLToPath(new URL('..', import.meta.url));

const contentTypes = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.wasm': 'application/wasm',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
};

// URL prefix -> folder under the repository. The first match wins.
const defaultMounts = [
  ['/js/', 'js'],
  ['/dist/', 'dist'],
  ['/', 'web'],
];

function resolvePath(urlPath, mounts) {
  for (const [prefix, folder] of mounts) {
    if (!urlPath.startsWith(prefix)) continue;
    const base = join(repoRoot, folder);
    let relative = decodeURIComponent(urlPath.slice(prefix.length));
    if (relative === '' || relative.endsWith('/')) relative += 'index.html';
    const full = normalize(join(base, relative));
    // Refuse anything that climbs out of its mount (../ or encoded variants).
    return full.startsWith(base + sep) ? full : null;
  }
  return null;
}

/**
 * Starts serving; resolves to { server, url, close() }.
 * `port` 0 picks a free port; `mounts` overrides what is served; `headers`
 * are added to every file (the benchmarks ask for cross-origin isolation,
 * which gives pages 5 µs timers instead of 100 µs ones).
 */
export async function startStaticServer({ port = 0, host = '127.0.0.1', mounts = defaultMounts, headers = {} } = {}) {
  const server = createServer(async (request, response) => {
    const urlPath = new URL(request.url, 'http://localhost').pathname;
    let file;
    try {
      file = resolvePath(urlPath, mounts);
    } catch {
      file = null; // malformed percent-encoding
    }
    const info = file && (await stat(file).catch(() => null));
    if (!info?.isFile()) {
      response.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
      return;
    }
    response.writeHead(200, {
      'content-type': contentTypes[extname(file)] ?? 'application/octet-stream',
      'content-length': info.size,
      'cache-control': 'no-cache',
      ...headers,
    });
    createReadStream(file).pipe(response);
  });
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, resolve);
  });
  const { port: actualPort } = server.address();
  return {
    server,
    url: `http://${host}:${actualPort}/`,
    close: () => new Promise((resolve) => server.close(resolve)),
  };
}
