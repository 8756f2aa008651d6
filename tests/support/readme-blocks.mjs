// Reading README.md's code blocks for the README test, and running one as a
// Node program the way a newcomer would paste it into a file.
//
// A block may be preceded by an HTML comment that tells the test how to run it:
//   <!-- readme-test: skip: <reason> -->               not run (say why)
//   <!-- readme-test: members=3 expect=/re/ ... -->   run as 3 members, one after
//                                                      another; each must print a
//                                                      line matching every /re/
//   <!-- readme-test: browser members=2 expect=... --> the same in Chromium tabs with
//                                                      fake camera and microphone
//                                                      (tests/browser/readme.test.mjs)
import { spawn } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';

const repoRoot = fileURLToPath(new URL('../../', import.meta.url));
// Inside the package, so `import 'rtcmesh'` resolves to it (self-reference).
const scratch = `${repoRoot}test-artifacts/readme/`;

/** Every fenced block: { lang, code, line, directive } in README order. */
export function codeBlocks(markdown) {
  const blocks = [];
  const fence = /^```(\w*)\n([\s\S]*?)^```$/gm;
  for (let match; (match = fence.exec(markdown)); ) {
    const before = markdown.slice(0, match.index).trimEnd();
    // The comment right above the fence only: its text may not contain "-->",
    // or the match would start at the README's first readme-test comment.
    const comment = before.match(/<!--\s*readme-test:\s*((?:(?!-->)[\s\S])*)-->$/);
    blocks.push({
      lang: match[1],
      code: match[2],
      line: before.split('\n').length + 1,
      directive: parseDirective(comment?.[1] ?? ''),
    });
  }
  return blocks;
}

function parseDirective(text) {
  const skip = text.match(/^skip:\s*(.+)$/s);
  if (skip) return { skip: skip[1].trim() };
  const members = Number(text.match(/members=(\d+)/)?.[1] ?? 1);
  const expect = [...text.matchAll(/expect=\/(.+?)\/(?=\s|$)/g)].map((m) => new RegExp(m[1]));
  return { members, expect, browser: /^\s*browser\b/.test(text) };
}

/**
 * Starts `code` as a Node program with browser globals (RTCPeerConnection
 * from @roamhq/wrtc, WebSocket from ws), `8787` pointing at `port`.
 * Resolves to { child, output() } once started.
 */
export async function runBlock(code, name, port) {
  await mkdir(scratch, { recursive: true });
  const file = `${scratch}${name}.mjs`;
  await writeFile(file, code.replaceAll('8787', String(port)));
  const child = spawn(process.execPath, ['--import', fileURLToPath(new URL('./readme-globals.mjs', import.meta.url)), file], {
    cwd: repoRoot,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let text = '';
  child.stdout.on('data', (chunk) => { text += chunk; });
  child.stderr.on('data', (chunk) => { text += chunk; });
  return { child, output: () => text };
}
