// Helpers for the demo tests: tabs of the demo page at a given viewport,
// what their Raft table says, layout checks, and screenshots a person reads.
import { mkdir } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { collectPageErrors } from './chromium.mjs';

const artifacts = fileURLToPath(new URL('../../test-artifacts/', import.meta.url));

/** Opens the demo at `url` in a new tab of `viewport`; resolves when the page's body has `state`. */
export async function openTab(browser, url, viewport, state = 'joined') {
  const page = await browser.context.newPage();
  await page.setViewportSize(viewport);
  const errors = collectPageErrors(page);
  await page.goto(url);
  if (state) await page.waitForSelector(`body[data-state="${state}"]`, { timeout: 30000 });
  return { page, errors };
}

/** What a tab's Raft view says: its rows (member, leader?, stale?) and its leader line. */
export function raftView(page) {
  return page.evaluate(() => ({
    leader: document.querySelector('#leader').title || document.querySelector('#leader').textContent, // the title holds a long id in full
    rows: [...document.querySelectorAll('#raft-members tr.member')].map((row) => ({
      member: row.dataset.member,
      leader: row.classList.contains('leader'),
      stale: row.classList.contains('stale'),
      electionIn: row.nextElementSibling?.querySelector('td[data-label="election in"]')?.textContent ?? null,
    })),
    openLinks: document.querySelectorAll('#graph line.open').length,
  }));
}

/**
 * Elements wider than their box: the page itself, and every panel. A table
 * column cut off or a chat word running out of its panel shows up here.
 */
export function overflows(page) {
  return page.evaluate(() => {
    const wide = [];
    const root = document.documentElement;
    if (root.scrollWidth > root.clientWidth + 1) wide.push(`page ${root.scrollWidth} > ${root.clientWidth}`);
    for (const element of document.querySelectorAll('section, header, #chat-log li, #raft-table')) {
      const box = element.closest('section') ?? element;
      if (element.scrollWidth > element.clientWidth + 1 || element.getBoundingClientRect().right > box.getBoundingClientRect().right + 1) {
        wide.push(`${element.id || element.tagName.toLowerCase()} ${element.scrollWidth} > ${element.clientWidth}`);
      }
    }
    return wide;
  });
}

/** Saves a full-page screenshot as test-artifacts/<name>.png (git-ignored). */
export async function screenshot(page, name) {
  await mkdir(artifacts, { recursive: true });
  const path = `${artifacts}${name}.png`;
  await page.screenshot({ path, fullPage: true });
  return path;
}
