// Draws the mesh: every member on a circle, every link coloured by its state
// as the member at either end reports it (the worse of the two wins), and
// the Raft leader ringed and starred.
import { shortId } from './raft-table.js';
const SVG = 'http://www.w3.org/2000/svg';
const severity = { open: 0, relayed: 1, connecting: 2, failed: 3, closed: 4 };

function element(name, attributes, text) {
  const node = document.createElementNS(SVG, name);
  for (const [key, value] of Object.entries(attributes)) node.setAttribute(key, value);
  if (text !== undefined) node.textContent = text;
  return node;
}

/**
 * @param svg     the <svg> to draw into
 * @param self    this tab's id
 * @param tables  Map(member -> { peer -> state }) as each member reported it
 * @param leader  the live Raft leader's id, or null
 */
export function drawGraph(svg, self, tables, leader = null) {
  const members = [...new Set([self, ...tables.keys(), ...[...tables.values()].flatMap((t) => Object.keys(t))])].sort();
  const radius = 85;
  const position = new Map(
    members.map((id, i) => {
      const angle = (2 * Math.PI * i) / members.length - Math.PI / 2;
      return [id, { x: Math.round(radius * Math.cos(angle)), y: Math.round(radius * Math.sin(angle)) }];
    }),
  );
  const edges = new Map();
  for (const [member, table] of tables) {
    for (const [peer, state] of Object.entries(table)) {
      const key = [member, peer].sort().join('\u0000');
      const worst = edges.get(key);
      if (!worst || severity[state] > severity[worst]) edges.set(key, state);
    }
  }
  svg.replaceChildren();
  for (const [key, state] of edges) {
    const [a, b] = key.split('\u0000');
    const from = position.get(a);
    const to = position.get(b);
    svg.append(element('line', { x1: from.x, y1: from.y, x2: to.x, y2: to.y, class: state, 'data-link': `${a}|${b}` }));
  }
  for (const id of members) {
    const { x, y } = position.get(id);
    const classes = [id === self ? 'self' : '', id === leader ? 'leader' : ''].filter(Boolean).join(' ');
    const circle = element('circle', { cx: x, cy: y, r: 12, class: classes, 'data-member': id });
    circle.append(element('title', {}, id));
    svg.append(circle);
    if (id === leader) svg.append(element('text', { x, y: y + 4, class: 'star' }, '★'));
    svg.append(element('text', { x, y: y + 24 }, `${shortId(id)}${id === leader ? ' (leader)' : ''}`));
  }
}
