// Consumer apps: the package from `npm pack`, built by the latest Vite,
// webpack and esbuild (tests/consumers/, its own package.json so the root
// stays lean), each loaded in Chromium, where two meshes exchange a message.
// Older Vites and Rollup: `node tests/consumers/matrix.mjs` (not in CI: time).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { launchChromium } from './chromium.mjs';
import { assertAppRuns, buildApp, consumers, makeApp, mustRun, packPackage, repoRoot, serveBuilt, startDevServer } from '../consumers/harness.mjs';

const work = join(repoRoot, 'test-artifacts/consumers');
const apps = {};
let browser;

// Each app gets the packed tarball in its node_modules, as `npm install` would.
before(async () => {
  if (!existsSync(join(consumers, 'node_modules/.package-lock.json'))) mustRun('npm', ['ci', '--no-audit', '--no-fund'], consumers);
  await rm(work, { recursive: true, force: true });
  const tarball = await packPackage(work);
  for (const entry of ['default', 'async']) apps[entry] = await makeApp(tarball, join(work, `app-${entry}`), { entry });
  browser = await launchChromium();
});

after(async () => {
  await browser?.close();
});

const builds = [['vite', 'default'], ['webpack', 'default'], ['esbuild', 'default'], ['vite', 'async']];
for (const [bundler, entry] of builds) {
  const through = entry === 'async' ? ' through rtcmesh/async' : '';
  test(`an app built by the latest ${bundler}${through} from the packed package runs in Chromium`, { timeout: 240000 }, async () => {
    const outDir = join(work, `${bundler}-${entry}-dist`);
    const started = Date.now();
    console.log(`built with ${buildApp(consumers, bundler, apps[entry], outDir)} in ${Date.now() - started} ms`);
    const server = await serveBuilt(outDir);
    try {
      await assertAppRuns(browser, server.url, { entry });
    } finally {
      await server.close();
    }
  });
}

for (const entry of ['default', 'async']) {
  const through = entry === 'async' ? ' through rtcmesh/async' : '';
  test(`the app${through} runs under the latest Vite dev server, without configuration`, { timeout: 120000 }, async () => {
    const server = await startDevServer(consumers, apps[entry]);
    try {
      console.log(`served by ${server.version}`);
      await assertAppRuns(browser, server.url, { entry });
    } finally {
      await server.close();
    }
  });
}

test("the README's Vite snippet is the vite.config.js the matrix runs", async () => {
  const snippet = await readFile(join(consumers, 'vite.config.js'), 'utf8');
  const readme = await readFile(join(repoRoot, 'README.md'), 'utf8');
  assert.ok(readme.includes(`\`\`\`js\n${snippet}\`\`\``), 'README.md shows tests/consumers/vite.config.js verbatim, in a js block');
});
