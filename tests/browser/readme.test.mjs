// The README's browser-only blocks (`readme-test: browser`) run as written in
// Chromium tabs with a fake camera and microphone, as the Node README test
// runs the rest: `rtcmesh` is the package's js/index.js, 8787 the test's
// signaling server; each tab must print a line matching every pattern.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { codeBlocks } from '../support/readme-blocks.mjs';
import { poll } from '../support/wait.mjs';
import { chromiumRooms } from './chromium.mjs';

const rooms = chromiumRooms({ extraArgs: ['--use-fake-device-for-media-stream', '--use-fake-ui-for-media-stream', '--autoplay-policy=no-user-gesture-required'] });
const readme = await readFile(new URL('../../README.md', import.meta.url), 'utf8');
const blocks = codeBlocks(readme).filter((block) => block.directive.browser);

test('the README has browser blocks to run', () => assert.ok(blocks.length > 0));

for (const block of blocks) {
  test(`README line ${block.line} (browser) runs as written`, { timeout: 120000 }, async () => {
    assert.ok(block.directive.expect.length > 0, 'a browser block needs expect=/.../, or it proves nothing');
    const port = new URL(rooms.signal.url).port;
    const code = block.code.replaceAll("from 'rtcmesh'", "from '/js/index.js'").replaceAll('8787', port);
    const tabs = [];
    try {
      for (let member = 1; member <= block.directive.members; member++) {
        const tab = await rooms.blankTab();
        tab.lines = [];
        tab.page.on('console', (message) => tab.lines.push(message.text()));
        await tab.page.addScriptTag({ type: 'module', content: code });
        tabs.push(tab);
      }
      // What every tab printed and threw, read when the wait ends.
      const report = () => tabs.map((tab, index) => `tab ${index + 1} printed:\n${tab.lines.join('\n')}\nand threw: ${tab.errors.join('\n') || 'nothing'}`).join('\n');
      for (const [index, tab] of tabs.entries()) {
        await poll(() => {
          if (tabs.some((other) => other.errors.length > 0)) throw new Error(`a tab failed:\n${report()}`);
          return block.directive.expect.every((pattern) => tab.lines.some((line) => pattern.test(line)));
        }, 60000, () => `tab ${index + 1} to print ${block.directive.expect.join(', ')}; ${report()}`);
      }
      for (const tab of tabs) assert.deepEqual(tab.errors, []);
    } finally {
      for (const tab of tabs) await tab.page.close();
    }
  });
}
