// Every error code the core can produce is in the README's "Error codes"
// table, and so is every code the bad-input tests see (they check it through
// tests/support/error-codes.mjs). A new code without documentation fails here.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadCore, RTCMesh, SignalClient } from 'rtcmesh';
import { ErrorCodes } from '../../js/signal/protocol.js';
import { documentedCodes, hasDocumentedCode } from '../support/error-codes.mjs';
import { RTCPeerConnection } from '../support/mesh-bus.mjs';

const undocumented = (codes) => codes.filter((code) => !documentedCodes.has(code));

test('the mesh core and the Raft core have no undocumented error code', async () => {
  const core = await loadCore();
  const meshCodes = core.meshKindNames().errors.filter((code) => code !== 'none');
  assert.ok(meshCodes.includes('connection_refused') && meshCodes.length >= 13, meshCodes.join());
  assert.deepEqual(undocumented(meshCodes), []);
  const raftCodes = core.raftErrorNames();
  assert.ok(raftCodes.includes('forward_failed') && raftCodes.length >= 9, raftCodes.join());
  assert.deepEqual(undocumented(raftCodes), []);
});

test('the signaling server has no undocumented error code', () => {
  assert.deepEqual(undocumented(Object.values(ErrorCodes)), []);
});

test('wrong arguments throw TypeErrors that carry the code bad_argument', () => {
  const thrown = (call) => {
    try {
      call();
    } catch (error) {
      return error;
    }
    return null;
  };
  for (const call of [
    () => new RTCMesh(null),
    () => new RTCMesh({ RTCPeerConnection, id: 42 }),
    () => new SignalClient('http://nope', 'room', 'me'),
  ]) {
    const error = thrown(call);
    assert.ok(error instanceof TypeError, String(error));
    assert.equal(error.code, 'bad_argument');
    assert.ok(hasDocumentedCode(error));
  }
});
