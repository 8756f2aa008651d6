// The demo's RaftScope-like table: one row group per member, from what each
// member last reported about itself. Rows of members that stopped reporting
// or whose link is down are greyed and never claim leadership; members that
// left the mesh are dropped by the caller.
export const STALE_AFTER_MS = 2500; // members report every second

/** A long id as its head and tail, so ids sharing a prefix stay apart. */
export function shortId(id, max = 14) {
  if (typeof id !== 'string' || id === '') return '—';
  return id.length <= max ? id : `${id.slice(0, max - 6)}…${id.slice(-5)}`;
}

function seconds(ms) {
  return ms === null || ms === undefined ? '—' : `${(ms / 1000).toFixed(1)} s`;
}

function cell(text, label, title) {
  const td = document.createElement('td');
  td.dataset.label = label;
  td.textContent = String(text);
  if (title) td.title = title;
  return td;
}

// The member's election timer as it reported it, run down since: a member
// reports every second, so between reports the countdown moves on its own.
function electionCountdown(state, now, stale) {
  if (stale || state.electionIn === null || state.electionIn === undefined) return '—';
  return seconds(Math.max(0, state.electionIn - (now - state.at)));
}

function kindOf(state) {
  if (state.voter === true) return 'voter';
  if (state.voter === false) return 'learner';
  return 'not in cluster';
}

// Two rows: the id across the table (it may be 128 characters), then numbers.
function memberRows(member, state, { self, live, now }) {
  const stale = !live || now - state.at > STALE_AFTER_MS;
  const claimsLeader = state.role === 'leader' && !stale;
  const head = document.createElement('tr');
  head.className = 'member';
  const name = document.createElement('th');
  name.colSpan = 9;
  name.scope = 'rowgroup';
  name.textContent = `${member}${member === self ? ' (you)' : ''}${claimsLeader ? ' ★ leader' : ''}${stale ? ' — not reporting' : ''}`;
  head.append(name);
  const values = document.createElement('tr');
  values.append(
    cell(stale && state.role === 'leader' ? 'leader?' : state.role, 'role'),
    cell(kindOf(state), 'kind'),
    cell(state.term, 'term'),
    cell(shortId(state.vote), 'vote', state.vote ?? ''),
    cell(state.log, 'log'),
    cell(state.commit, 'commit'),
    cell(state.applied, 'applied'),
    cell(state.role === 'leader' ? '—' : seconds(state.heardAgo), 'heard leader'),
    cell(electionCountdown(state, now, stale), 'election in'),
  );
  for (const row of [head, values]) {
    row.dataset.member = member;
    if (stale) row.classList.add('stale');
    if (claimsLeader) row.classList.add('leader');
  }
  return [head, values];
}

/**
 * Redraws `tbody` from `states` (member -> reported state with `at`).
 * @param isLive (member) => whether this tab has a working link to it
 */
export function drawRaftTable(tbody, states, self, isLive) {
  const now = Date.now();
  const rows = [...states.entries()]
    .sort(([a], [b]) => a.localeCompare(b))
    .flatMap(([member, state]) => memberRows(member, state, { self, live: member === self || isLive(member), now }));
  tbody.replaceChildren(...rows);
}
