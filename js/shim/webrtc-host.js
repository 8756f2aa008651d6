// The only code that touches RTCPeerConnection and RTCDataChannel.
//
// It runs the mesh core's commands (see src/core/mesh/webrtc_port.hpp and
// src/core/mesh/README.md for the contract) and reports what the browser does
// back into the core as records in the inbox (host-inbox.js), in the order
// it happened: frames, buffered amounts, descriptions, candidates, states,
// channels opening and closing. Frames cross with the next exchange, which
// the owner may make later to take several at once; every other report
// crosses at once, behind the frames that came before it.
// Handles are integers the core never reuses, so a completion that arrives
// after its connection was closed finds no entry here and is dropped.

import { MediaHost } from './media-host.js';

const IN_NODE = typeof globalThis.process?.versions?.node === 'string';
const DEFAULT_MAX_MESSAGE_SIZE = 65536; // RFC 8831's safe value when pc.sctp is unknown

function candidateToJson(candidate) {
  if (!candidate || !candidate.candidate) return ''; // end of candidates
  return JSON.stringify({
    candidate: candidate.candidate,
    sdpMid: candidate.sdpMid,
    sdpMLineIndex: candidate.sdpMLineIndex,
    usernameFragment: candidate.usernameFragment ?? undefined,
  });
}

function maxMessageSizeOf(pc) {
  const size = pc.sctp?.maxMessageSize;
  if (typeof size !== 'number' || !(size > 0)) return DEFAULT_MAX_MESSAGE_SIZE;
  return Math.min(size, 2 ** 30); // Firefox may say Infinity
}

export class WebRtcHost {
  #inbox;
  #readingBatch = false; // a batch is read in place: reports wait in #deferredReports
  #deferredReports = null; // made by the first report that waits
  #commandNames = []; // the core's names of command kinds, from the batches
  #RTCPeerConnection;
  #changed;
  #received;
  #configure;
  #iceServerError;
  #sendViaServer; // (peer, bytes): the last-resort path, through the signaling server
  #connections = new Map(); // pc handle -> RTCPeerConnection
  #iceServersOf = new WeakMap(); // RTCPeerConnection -> the core's iceServers for it
  #channels = new Map(); // channel handle -> { channel, pc }
  #media;
  #closing = []; // channels and connections to close natively on the next turn

  /**
   * @param inbox the HostInbox its owner exchanges with the core
   * @param RTCPeerConnection the implementation to use (the browser's, or wrtc's in Node)
   * @param changed called after every report but a frame, so its owner flushes
   * @param {object} [hooks]
   * @param hooks.received called when a frame came off a channel (into the
   *   inbox); the owner may flush later, to take several at once. Default: changed
   * @param hooks.configure (coreIceServers) => the RTCConfiguration of a
   *   connection: the owner adds what the core does not hold (servers handed
   *   out by the signaling server, iceTransportPolicy). Called for every new
   *   connection.
   * @param hooks.iceServerError ({ url, errorCode, errorText }) => void: a
   *   STUN or TURN server failed a connection's gathering (the browser's
   *   icecandidateerror; Node's wrtc has none)
   * @param hooks.track, hooks.trackEnded: what connections receive (media-host.js)
   */
  constructor(inbox, RTCPeerConnection, changed, { received = changed, configure = (iceServers) => ({ iceServers }), iceServerError = () => {}, sendViaServer = () => false, track, trackEnded } = {}) {
    this.#received = received;
    this.#media = new MediaHost({ track, trackEnded });
    this.#inbox = inbox;
    this.#RTCPeerConnection = RTCPeerConnection;
    this.#changed = changed;
    this.#configure = configure;
    this.#iceServerError = iceServerError;
    this.#sendViaServer = sendViaServer;
  }

  /**
   * Applies the configuration again to every open connection (new TURN
   * credentials): their next ICE restart gathers with it. Best effort: an
   * implementation that refuses keeps the configuration it had.
   */
  reconfigure() {
    for (const pc of this.#connections.values()) {
      try {
        pc.setConfiguration?.(this.#configure(this.#iceServersOf.get(pc) ?? []));
      } catch {
        // the connection keeps its configuration; new connections get the new one
      }
    }
  }

  /** The tracks the core's add_track commands name (media-host.js). */
  get media() {
    return this.#media;
  }

  get openPeerConnections() {
    return this.#connections.size;
  }

  channel(handle) {
    return this.#channels.get(handle)?.channel ?? null;
  }

  /**
   * Runs the commands of a packed batch (a BatchReader positioned on them);
   * returns the handles of channels that were sent on, or null for none (most
   * batches of a busy receiver send nothing: no Set for them). Frames go
   * straight from the batch to channel.send, with no object per frame.
   */
  runBatch(reader) {
    let sentOn = null;
    const send = reader.names.commands.indexOf('send');
    // The batch is read in place in the wasm heap: reports made meanwhile
    // (failures) go into the inbox after it, since growing the inbox may
    // move the heap.
    this.#commandNames = reader.names.commands;
    this.#readingBatch = true;
    try {
      for (let count = reader.u32(); count > 0; count--) {
        if (reader.view.getUint8(reader.at) === send) {
          reader.at++;
          const handle = reader.u32();
          if (this.#send(handle, reader.bytesView())) (sentOn ??= new Set()).add(handle);
          continue;
        }
        const command = reader.command();
        try {
          this.#runOne(command);
        } catch (error) {
          this.#failed(command.pc ?? this.#channels.get(command.channel)?.pc, command.kind, error);
        }
      }
    } finally {
      this.#readingBatch = false; // a batch the reader cannot read (a bug) leaves no report waiting for ever
    }
    const reports = this.#deferredReports;
    this.#deferredReports = null;
    if (reports === null) return sentOn;
    reader.detach();
    for (const write of reports) this.#report(write);
    return sentOn;
  }

  // Whether the frame went to the channel.
  #send(handle, bytes) {
    const entry = this.#channels.get(handle);
    if (!entry) return false;
    try {
      entry.channel.send(bytes);
      return true;
    } catch (error) {
      this.#failed(entry.pc, 'send', error);
      return false;
    }
  }

  bufferedAmount(channelHandle) {
    return this.#channels.get(channelHandle)?.channel.bufferedAmount ?? 0;
  }

  /** Closes every channel and connection (Chrome caps a tab's lifetime total). */
  closeAll() {
    for (const handle of [...this.#channels.keys()]) this.#closeChannel(handle);
    for (const handle of [...this.#connections.keys()]) this.#closeConnection(handle);
  }

  #runOne(command) {
    switch (command.kind) {
      case 'create_peer_connection':
        return this.#createConnection(command.pc, JSON.parse(command.iceServers || '[]'), command.peer);
      case 'create_data_channel':
        return this.#createChannel(command);
      case 'set_local_description':
        return this.#setLocalDescription(command.pc, command.iceRestart);
      case 'set_remote_description':
        return this.#setRemoteDescription(command.pc, { type: command.type, sdp: command.sdp });
      case 'add_ice_candidate':
        return this.#addIceCandidate(command.pc, command.candidate);
      case 'set_buffered_amount_low_threshold': {
        const entry = this.#channels.get(command.channel);
        if (entry) entry.channel.bufferedAmountLowThreshold = command.bytes;
        return undefined;
      }
      case 'close_channel':
        return this.#closeChannel(command.channel);
      case 'close_peer_connection':
        return this.#closeConnection(command.pc);
      case 'send_via_server': // the last-resort path: a lost frame is resent by the core
        return void this.#sendViaServer(command.peer, command.bytes);
      case 'add_track':
      case 'remove_track': {
        const pc = this.#connections.get(command.pc);
        if (!pc) return undefined;
        if (command.kind === 'add_track') return this.#media.add(pc, command.pc, command.track);
        return this.#media.remove(pc, command.pc, command.track);
      }
      default:
        throw new Error(`unknown command "${command.kind}"`);
    }
  }

  // `write` puts the report into the inbox, behind the frames that came
  // before it (a goodbye still reaches the core before its channel's close).
  #report(write) {
    if (this.#readingBatch) return void (this.#deferredReports ??= []).push(write);
    write(this.#inbox);
    this.#changed();
  }

  #failed(pcHandle, kind, error) {
    // A refused constructor (Chromium caps a page at about 500 connections)
    // has no registered connection yet, and the core must still hear of it.
    const known = kind === 'create_peer_connection' || this.#connections.has(pcHandle);
    if (pcHandle === undefined || !known) return;
    const command = this.#commandNames.indexOf(kind);
    this.#report((inbox) => inbox.operationFailed(pcHandle, command, String(error?.message ?? error)));
  }

  #createConnection(handle, iceServers, peer) {
    const pc = new this.#RTCPeerConnection(this.#configure(iceServers));
    this.#connections.set(handle, pc);
    this.#media.watch(pc, handle, peer);
    this.#iceServersOf.set(pc, iceServers);
    const alive = () => this.#connections.get(handle) === pc;
    pc.onicecandidate = (event) => {
      if (alive()) this.#report((inbox) => inbox.localCandidate(handle, candidateToJson(event.candidate)));
    };
    pc.onicecandidateerror = (event) => {
      if (alive()) this.#iceServerError({ url: String(event.url ?? ''), errorCode: Number(event.errorCode), errorText: String(event.errorText ?? '') });
    };
    pc.onconnectionstatechange = () => {
      if (!alive()) return;
      const state = pc.connectionState;
      this.#report((inbox) => {
        if (state === 'connected') inbox.maxMessageSize(handle, maxMessageSizeOf(pc));
        inbox.connectionState(handle, state);
      });
    };
  }

  // Negotiated on both ends with the id the core chose (0 for the mesh's own
  // channel): no `datachannel` event race.
  #createChannel({ pc: pcHandle, channel: handle, label, id, ordered, maxRetransmits }) {
    const pc = this.#connections.get(pcHandle);
    if (!pc) return;
    const init = { negotiated: true, id, ordered };
    if (maxRetransmits !== null) init.maxRetransmits = maxRetransmits;
    let channel;
    try {
      channel = pc.createDataChannel(label, init);
    } catch (error) {
      return this.#failed(pcHandle, 'create_data_channel', error);
    }
    channel.binaryType = 'arraybuffer';
    this.#channels.set(handle, { channel, pc: pcHandle });
    const alive = () => this.#channels.get(handle)?.channel === channel;
    let opened = false;
    const open = () => {
      if (!alive() || opened) return;
      opened = true;
      this.#report((inbox) => inbox.channelOpen(handle));
    };
    channel.onopen = open;
    // @roamhq/wrtc fires no `open` for a negotiated channel made on a
    // connection whose SCTP is up already: it is open at once.
    setTimeout(() => {
      if (channel.readyState === 'open') open();
    }, 0);
    channel.onclose = () => {
      if (!alive()) return;
      this.#channels.delete(handle);
      this.#report((inbox) => inbox.channelClosed(handle));
    };
    channel.onmessage = (event) => {
      if (!alive()) return;
      this.#inbox.channelMessage(handle, event.data);
      this.#received();
    };
    channel.onbufferedamountlow = () => {
      if (!alive()) return;
      this.#inbox.bufferedAmount(handle, channel.bufferedAmount);
      this.#changed();
    };
  }

  async #setLocalDescription(handle, iceRestart) {
    const pc = this.#connections.get(handle);
    if (!pc) return;
    try {
      // Explicit create*() rather than the implicit setLocalDescription():
      // Node's wrtc does not implement the implicit form.
      const description =
        pc.signalingState === 'have-remote-offer' ? await pc.createAnswer() : await pc.createOffer({ iceRestart });
      await pc.setLocalDescription(description);
      if (this.#connections.get(handle) !== pc) return;
      // The description we made, not pc.localDescription: @roamhq/wrtc's
      // getter can crash the process while its signaling thread updates it.
      const { type, sdp } = description;
      this.#media.check(pc, handle);
      this.#report((inbox) => inbox.localDescription(handle, type, sdp));
    } catch (error) {
      this.#failed(handle, 'set_local_description', error);
    }
  }

  async #setRemoteDescription(handle, description) {
    const pc = this.#connections.get(handle);
    if (!pc) return;
    try {
      // The core hands a polite peer's colliding offer over while its own
      // offer is set, counting on the implicit rollback of SRD(offer).
      // Browsers do that; @roamhq/wrtc (an older libwebrtc) refuses with
      // "Called in wrong state: have-local-offer", and the pair never links
      // up. Rolling back explicitly first works in both.
      if (description.type === 'offer' && pc.signalingState === 'have-local-offer') {
        await pc.setLocalDescription({ type: 'rollback' });
        if (this.#connections.get(handle) !== pc) return;
      }
      await pc.setRemoteDescription(description);
      if (this.#connections.get(handle) !== pc) return;
      this.#media.check(pc, handle);
      this.#report((inbox) => inbox.remoteDescriptionSet(handle));
    } catch (error) {
      this.#failed(handle, 'set_remote_description', error);
    }
  }

  async #addIceCandidate(handle, candidateJson) {
    const pc = this.#connections.get(handle);
    if (!pc || !candidateJson) return; // end-of-candidates is optional
    try {
      await pc.addIceCandidate(JSON.parse(candidateJson));
    } catch (error) {
      this.#failed(handle, 'add_ice_candidate', error);
    }
  }

  #closeChannel(handle) {
    const entry = this.#channels.get(handle);
    if (!entry) return;
    this.#channels.delete(handle);
    const { channel } = entry;
    channel.onopen = channel.onclose = channel.onmessage = channel.onbufferedamountlow = null;
    this.#closeNatively(channel);
  }

  // In Node, the native close waits for the next turn, so that every send
  // made in this turn (a goodbye from each of several meshes closing
  // together in one process) has gone before any channel starts to close:
  // wrtc crashes the process (SIGSEGV in RTCDataChannel::Send) when a send
  // races the remote end's close on its network thread. Nothing here sends
  // on a handle once it is forgotten, so the delay changes nothing else. A
  // page closes at once: it may unload before a later turn, and a channel
  // closed at once still delivers the goodbye sent ahead of its close.
  #closeNatively(channelOrConnection) {
    if (!IN_NODE) return void channelOrConnection.close();
    this.#closing.push(channelOrConnection);
    if (this.#closing.length > 1) return;
    setTimeout(() => {
      const closing = this.#closing;
      this.#closing = [];
      for (const each of closing) each.close();
    }, 0);
  }

  #closeConnection(handle) {
    const pc = this.#connections.get(handle);
    if (!pc) return;
    this.#connections.delete(handle);
    for (const [channelHandle, entry] of this.#channels) {
      if (entry.pc === handle) this.#closeChannel(channelHandle);
    }
    pc.onicecandidate = pc.onconnectionstatechange = pc.onicecandidateerror = pc.ontrack = null;
    this.#closeNatively(pc);
    this.#media.closed(handle);
  }
}
