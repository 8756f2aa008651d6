// Two meshes in one page, their signaling wired directly, exchange a message;
// the page shows the core's version and what arrived in body[data-result].
// Shared by the app's two entries (main.js and main-async.js). The meshes are
// made at once: the caller has the core loaded. `version` may be a promise.
export function runPair(RTCMesh, version) {
  const ids = ['a', 'b'];
  const meshes = Object.fromEntries(ids.map((id) => [id, new RTCMesh({ id, peers: ids })]));
  for (const id of ids) {
    const mesh = meshes[id];
    const other = meshes[id === 'a' ? 'b' : 'a'];
    const later = (fn) => setTimeout(fn, 0); // delivered on a later turn, as a server would
    mesh.addEventListener('offer', ({ detail }) => later(() => other.createAnswer(id, detail.sdp)));
    mesh.addEventListener('answer', ({ detail }) => later(() => other.addAnswer(id, detail.sdp)));
    mesh.addEventListener('icecandidate', ({ detail }) => later(() => other.addIceCandidate(id, detail.candidate)));
  }
  meshes.b.addEventListener('message', async ({ data }) => {
    document.body.dataset.result = `${await version} ${data}`;
  });
  meshes.a.addEventListener('addchannel', () => meshes.a.send('b', 'hello through the bundle'));
}
