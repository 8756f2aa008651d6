// Launching Debian's Firefox ESR headless for the browser tests, through
// puppeteer-core over WebDriver BiDi (tests/firefox/ holds puppeteer-core;
// nothing is downloaded: Debian has no geckodriver and npm's downloads one).
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const folder = fileURLToPath(new URL('../firefox/', import.meta.url));
export const firefoxPath = process.env.FIREFOX_PATH ?? '/usr/bin/firefox-esr';

/** Installs tests/firefox's puppeteer-core from its lock file when missing. */
function ensurePuppeteer() {
  if (existsSync(join(folder, 'node_modules/.package-lock.json'))) return;
  const result = spawnSync('npm', ['ci', '--no-audit', '--no-fund'], { cwd: folder, encoding: 'utf8', timeout: 300000 });
  if (result.status !== 0) throw new Error(`npm ci in tests/firefox failed:\n${result.stderr}`);
}

/** Resolves to { browser, close() }: a fresh profile, removed on close. */
export async function launchFirefox() {
  ensurePuppeteer();
  const { default: puppeteer } = await import(createRequire(join(folder, 'package.json')).resolve('puppeteer-core'));
  const profile = await mkdtemp(join(tmpdir(), 'rtcmesh-firefox-'));
  const browser = await puppeteer.launch({
    browser: 'firefox',
    executablePath: firefoxPath,
    headless: true,
    userDataDir: profile,
    extraPrefsFirefox: {
      // Plain host candidates instead of mDNS names, so Chromium can reach it.
      'media.peerconnection.ice.obfuscate_host_addresses': false,
    },
  });
  return {
    browser,
    close: async () => {
      await browser.close();
      await rm(profile, { recursive: true, force: true });
    },
  };
}
