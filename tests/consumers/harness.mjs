// What the consumer-app tests (tests/browser/consumers.test.mjs) and the
// bundler matrix (matrix.mjs) share: the app from the packed tarball, a build
// or a dev server by one bundler, and the check in Chromium.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { copyFile, mkdir, readFile, rm } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startStaticServer } from '../../tools/static-server.mjs';
import { collectPageErrors } from '../browser/chromium.mjs';
import { withTimeout } from '../support/wait.mjs';

export const repoRoot = fileURLToPath(new URL('../..', import.meta.url));
export const consumers = join(repoRoot, 'tests/consumers');
export const version = JSON.parse(await readFile(join(repoRoot, 'package.json'), 'utf8')).version;

export function mustRun(command, args, cwd, timeout = 300000) {
  const result = spawnSync(command, args, { cwd, encoding: 'utf8', timeout });
  if (result.status !== 0) throw new Error(`${command} ${args.join(' ')} failed (${result.status ?? result.signal}):\n${result.stdout}\n${result.stderr}`);
  return result.stdout;
}

/** `npm pack`s the package into `dir`; resolves to the tarball's path. */
export async function packPackage(dir) {
  await mkdir(dir, { recursive: true });
  const [{ filename }] = JSON.parse(mustRun('npm', ['pack', '--json', '--pack-destination', dir], repoRoot));
  return join(dir, filename);
}

/**
 * Makes an app in `dir` with the tarball in its node_modules, as `npm install`
 * would. `entry`: "default" (main.js: `rtcmesh`) or "async" (main-async.js:
 * `rtcmesh/async`); `config`: whether it has the README's vite.config.js.
 */
export async function makeApp(tarball, dir, { entry = 'default', config = false } = {}) {
  await rm(dir, { recursive: true, force: true });
  await mkdir(join(dir, 'node_modules/rtcmesh'), { recursive: true });
  mustRun('tar', ['-xzf', tarball, '-C', join(dir, 'node_modules/rtcmesh'), '--strip-components=1'], repoRoot);
  for (const name of ['index.html', 'package.json', 'pair.js']) await copyFile(join(consumers, 'app', name), join(dir, name));
  await copyFile(join(consumers, 'app', entry === 'async' ? 'main-async.js' : 'main.js'), join(dir, 'main.js'));
  if (config) await copyFile(join(consumers, 'vite.config.js'), join(dir, 'vite.config.js'));
  return dir;
}

/** Builds `appDir` into `outDir` with `bundler` from `bundlersDir` (holding build.mjs); resolves to "name version". */
export function buildApp(bundlersDir, bundler, appDir, outDir) {
  return mustRun(process.execPath, [join(bundlersDir, 'build.mjs'), bundler, appDir, outDir], repoRoot).trim();
}

/** Serves a built app; resolves to { url, close() }. */
export async function serveBuilt(outDir) {
  const server = await startStaticServer({ mounts: [['/', relative(repoRoot, outDir)]] });
  return {
    url: server.url,
    close: async () => {
      server.server.closeAllConnections(); // Chromium keeps idle sockets open for minutes
      await server.close();
    },
  };
}

/** Starts Vite's dev server (dev.mjs in `bundlersDir`) on `appDir`; resolves to { url, version, close() }. */
export async function startDevServer(bundlersDir, appDir) {
  const child = spawn(process.execPath, [join(bundlersDir, 'dev.mjs'), appDir], { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const close = () => new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    child.once('exit', resolve);
    child.kill();
  });
  try {
    const [, url, name] = await withTimeout(new Promise((resolve, reject) => {
      child.stdout.on('data', (chunk) => {
        output += chunk;
        const match = output.match(/^url (\S+) (vite \S+)$/m);
        if (match) resolve(match);
      });
      child.stderr.on('data', (chunk) => { output += chunk; });
      child.on('exit', (code) => reject(new Error(`the dev server exited with ${code}:\n${output}`)));
    }), 60000, 'the Vite dev server');
    return { url, version: name, output: () => output, close };
  } catch (error) {
    await close();
    throw error;
  }
}

/**
 * Loads `url` in a new tab of `browser`; resolves once the app's message
 * arrived, and checks that the async entry refused a constructor before ready().
 */
export async function assertAppRuns(browser, url, { entry = 'default' } = {}) {
  const page = await browser.context.newPage();
  const errors = collectPageErrors(page);
  try {
    await page.goto(url);
    await page.waitForSelector('body[data-result]', { state: 'attached', timeout: 30000 }).catch(() => {
      throw new Error(`no message arrived; page errors: ${errors.join(' | ') || 'none'}`);
    });
    assert.equal(await page.getAttribute('body', 'data-result'), `${version} hello through the bundle`);
    if (entry === 'async') assert.equal(await page.getAttribute('body', 'data-early'), 'not_ready', 'new RTCMesh() before ready()');
    assert.deepEqual(errors, []);
  } finally {
    await page.close();
  }
}
