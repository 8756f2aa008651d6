// Consumer apps: the package from `npm pack`, built by the latest Vite,
// webpack and esbuild (tests/consumers/, its own package.json so the root
// stays lean), each loaded in Chromium, where two meshes exchange a message.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cp, mkdir, readFile, rm } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startStaticServer } from '../../tools/static-server.mjs';
import { collectPageErrors, launchChromium } from './chromium.mjs';

const repoRoot = fileURLToPath(new URL('../..', import.meta.url));
const consumers = join(repoRoot, 'tests/consumers');
const work = join(repoRoot, 'test-artifacts/consumers');
const appDir = join(work, 'app');
const version = JSON.parse(await readFile(join(repoRoot, 'package.json'), 'utf8')).version;
let browser;

function mustRun(command, args, cwd, timeout = 300000) {
  const result = spawnSync(command, args, { cwd, encoding: 'utf8', timeout });
  if (result.status !== 0) throw new Error(`${command} ${args.join(' ')} failed (${result.status ?? result.signal}):\n${result.stdout}\n${result.stderr}`);
  return result.stdout;
}

// The app gets the packed tarball in its node_modules, as `npm install` would.
before(async () => {
  if (!existsSync(join(consumers, 'node_modules/.package-lock.json'))) mustRun('npm', ['ci', '--no-audit', '--no-fund'], consumers);
  await rm(work, { recursive: true, force: true });
  await mkdir(join(appDir, 'node_modules/rtcmesh'), { recursive: true });
  const [{ filename }] = JSON.parse(mustRun('npm', ['pack', '--json', '--pack-destination', work], repoRoot));
  mustRun('tar', ['-xzf', join(work, filename), '-C', join(appDir, 'node_modules/rtcmesh'), '--strip-components=1'], repoRoot);
  await cp(join(consumers, 'app'), appDir, { recursive: true });
  browser = await launchChromium();
});

after(async () => {
  await browser?.close();
});

for (const bundler of ['vite', 'webpack', 'esbuild']) {
  test(`an app built by the latest ${bundler} from the packed package runs in Chromium`, { timeout: 240000 }, async () => {
    const outDir = join(work, `${bundler}-dist`);
    const started = Date.now();
    const built = mustRun(process.execPath, [join(consumers, 'build.mjs'), bundler, appDir, outDir], repoRoot);
    console.log(`built with ${built.trim()} in ${Date.now() - started} ms`);
    const server = await startStaticServer({ mounts: [['/', relative(repoRoot, outDir)]] });
    const page = await browser.context.newPage();
    const errors = collectPageErrors(page);
    try {
      await page.goto(server.url);
      await page.waitForSelector('body[data-result]', { state: 'attached', timeout: 30000 }).catch(() => {
        throw new Error(`no message arrived; page errors: ${errors.join(' | ') || 'none'}`);
      });
      assert.equal(await page.getAttribute('body', 'data-result'), `${version} hello through the bundle`);
      assert.deepEqual(errors, []);
    } finally {
      await page.close();
      server.server.closeAllConnections(); // Chromium keeps idle sockets open for minutes
      await server.close();
    }
  });
}
