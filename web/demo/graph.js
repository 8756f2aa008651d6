// Draws the mesh: every member on a circle, every link coloured by its state
// as the member at either end reports it (the worse of the two wins).
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
 */
export function drawGraph(svg, self, tables) {
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
    svg.append(element('circle', { cx: x, cy: y, r: 12, class: id === self ? 'self' : '' }));
    svg.append(element('text', { x, y: y + 24 }, id.length > 14 ? `${id.slice(0, 12)}…` : id));
  }
}
