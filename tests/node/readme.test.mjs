// The README runs as written: every JS block of README.md is executed in
// Node against a local signaling server, so the README cannot drift from the
// package. Shell blocks are skipped; a block may say how to run it, or why it
// is skipped, in a comment above it (see tests/support/readme-blocks.mjs).
// The only change made to a block: the port 8787 becomes the test's port.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import WebSocket from 'ws';
import { startSignalServer } from '../../js/signal/server.js';
import { codeBlocks, runBlock } from '../support/readme-blocks.mjs';
import { poll } from '../support/wait.mjs';

const readme = await readFile(new URL('../../README.md', import.meta.url), 'utf8');
const blocks = codeBlocks(readme);
const RUN_MS = 60000;

function freePort() {
  return new Promise((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

function canConnect(url) {
  return new Promise((resolve) => {
    const socket = new WebSocket(url);
    socket.on('open', () => { socket.close(); resolve(true); });
    socket.on('error', () => resolve(false));
  });
}

// Fails with the program's output when it exited before printing every
// pattern (it threw, or ended early) or timed out. A program that printed
// them all may have ended: examples that close what they opened do.
function waitForLines(run, patterns, what) {
  return poll(() => {
    const exitCode = run.child.exitCode;
    const lines = run.output().split('\n');
    if (patterns.every((pattern) => lines.some((line) => pattern.test(line)))) {
      if (exitCode !== null && exitCode !== 0) throw new Error(`${what} printed its lines but exited with ${exitCode}:\n${run.output()}`);
      return true;
    }
    if (exitCode !== null) throw new Error(`${what} exited with ${exitCode}:\n${run.output()}`);
    return false;
  }, RUN_MS, () => `${what} to print ${patterns.join(', ')}; it printed:\n${run.output()}`);
}

/** A block that starts a signaling server: it must accept WebSockets. */
async function runServerBlock(block, name) {
  const port = await freePort();
  const run = await runBlock(block.code, name, port);
  try {
    await poll(async () => {
      if (run.child.exitCode !== null) throw new Error(`the block exited with ${run.child.exitCode}:\n${run.output()}`);
      return canConnect(`ws://127.0.0.1:${port}`);
    }, RUN_MS, `a server on port ${port}`);
  } finally {
    run.child.kill();
  }
}

/**
 * A client block, as `members` programs joining one after another: each next
 * one starts once the previous printed its first expected line, so the first
 * runs in an empty room and the others in a busy one. Then every program
 * must print a line matching every expectation.
 */
async function runClientBlock(block, name) {
  const { members, expect } = block.directive;
  const server = await startSignalServer({ port: 0 });
  const runs = [];
  try {
    for (let i = 0; i < members; i++) {
      const run = await runBlock(block.code, `${name}-member-${i + 1}`, new URL(server.url).port);
      runs.push(run);
      await waitForLines(run, expect.slice(0, 1), `member ${i + 1}`);
    }
    for (const [i, run] of runs.entries()) await waitForLines(run, expect, `member ${i + 1}`);
  } finally {
    for (const run of runs) run.child.kill();
    await server.close();
  }
}

for (const block of blocks) {
  const name = `readme-line-${block.line}`;
  const title = `README line ${block.line} (${block.lang || 'no language'}) runs as written`;
  if (!['js', 'javascript', 'mjs'].includes(block.lang)) {
    test(title, { skip: 'a shell block' }, () => {});
  } else if (block.directive.skip) {
    test(title, { skip: block.directive.skip }, () => {});
  } else if (block.directive.browser) {
    test(title, { skip: 'runs in Chromium: tests/browser/readme.test.mjs' }, () => {});
  } else {
    test(title, { timeout: RUN_MS * 3 }, async () => {
      if (/startSignalServer\(/.test(block.code)) return runServerBlock(block, name);
      assert.ok(block.directive.expect.length > 0, 'a client block needs expect=/.../ in its readme-test comment, or it proves nothing');
      return runClientBlock(block, name);
    });
  }
}

test('the README has JS blocks to run', () => {
  assert.ok(blocks.filter((block) => block.lang === 'js').length >= 2);
});
