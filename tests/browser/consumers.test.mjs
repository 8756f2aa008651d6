// Consumer apps: the package from `npm pack`, built by the latest Vite,
// webpack and esbuild (tests/consumers/, its own package.json so the root
// stays lean), each loaded in Chromium, where two meshes exchange a message.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { cp, mkdir, readFile, rm } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startStaticServer } from '../../tools/static-server.mjs';
import { collectPageErrors, launchChromium } from './chromium.mjs';
import { withTimeout } from '../support/wait.mjs';

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

/** Loads `url` in a new tab; resolves once the app's message arrived. */
async function assertAppRuns(url) {
  const page = await browser.context.newPage();
  const errors = collectPageErrors(page);
  try {
    await page.goto(url);
    await page.waitForSelector('body[data-result]', { state: 'attached', timeout: 30000 }).catch(() => {
      throw new Error(`no message arrived; page errors: ${errors.join(' | ') || 'none'}`);
    });
    assert.equal(await page.getAttribute('body', 'data-result'), `${version} hello through the bundle`);
    assert.deepEqual(errors, []);
  } finally {
    await page.close();
  }
}

for (const bundler of ['vite', 'webpack', 'esbuild']) {
  test(`an app built by the latest ${bundler} from the packed package runs in Chromium`, { timeout: 240000 }, async () => {
    const outDir = join(work, `${bundler}-dist`);
    const started = Date.now();
    const built = mustRun(process.execPath, [join(consumers, 'build.mjs'), bundler, appDir, outDir], repoRoot);
    console.log(`built with ${built.trim()} in ${Date.now() - started} ms`);
    const server = await startStaticServer({ mounts: [['/', relative(repoRoot, outDir)]] });
    try {
      await assertAppRuns(server.url);
    } finally {
      server.server.closeAllConnections(); // Chromium keeps idle sockets open for minutes
      await server.close();
    }
  });
}

test('the app runs under the latest Vite dev server, without configuration', { timeout: 120000 }, async () => {
  const child = spawn(process.execPath, [join(consumers, 'dev.mjs'), appDir], { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  try {
    const url = await withTimeout(new Promise((resolve, reject) => {
      child.stdout.on('data', (chunk) => {
        output += chunk;
        const match = output.match(/^url (\S+) (vite \S+)$/m);
        if (match) resolve(match[1]);
      });
      child.stderr.on('data', (chunk) => { output += chunk; });
      child.on('exit', (code) => reject(new Error(`the dev server exited with ${code}:\n${output}`)));
    }), 60000, 'the Vite dev server');
    console.log(output.trim());
    await assertAppRuns(url);
  } finally {
    child.kill();
  }
});
