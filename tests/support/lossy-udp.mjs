// A lossy path on loopback for real WebRTC tests: ICE candidates are
// rewritten to point at a UDP proxy that forwards to the real endpoint and
// drops a share of the DTLS application-data records (the SCTP packets that
// carry data channels). STUN and the DTLS 1.2 handshake pass untouched, so
// links form as usual and then lose packets as a bad network would (DTLS
// 1.3 encrypts most of its handshake too, which then retransmits).
import dgram from 'node:dgram';

// DTLS 1.2 application data (content type 23), and DTLS 1.3's encrypted
// records, whose unified header starts 0b001 (Chromium speaks 1.3).
const isData = (first) => first === 23 || (first & 0xe0) === 0x20;

export class LossyUdp {
  #loss;
  #random;
  #sockets = [];
  dropped = 0;
  forwarded = 0;

  /** `loss`: the share of data records dropped, each way; `random`: a seeded generator, if wanted. */
  constructor(loss, random = Math.random) {
    this.#loss = loss;
    this.#random = random;
  }

  /**
   * An RTCIceCandidateInit with its address replaced by a proxy's (null:
   * end of candidates, passed on); undefined for candidates it cannot carry
   * (TCP), which the caller drops.
   */
  async rewrite(init) {
    if (!init || !init.candidate) return init;
    const fields = init.candidate.split(' ');
    if (fields[2]?.toLowerCase() !== 'udp') return undefined;
    const front = await this.#proxy(fields[4], Number(fields[5]));
    fields[4] = '127.0.0.1';
    fields[5] = String(front);
    return { ...init, candidate: fields.join(' ') };
  }

  /** The share of data records dropped from now on (1: the path carries no data, yet ICE stays up). */
  set loss(share) {
    this.#loss = share;
  }

  close() {
    for (const socket of this.#sockets) socket.close();
    this.#sockets = [];
  }

  #drop(message) {
    if (!isData(message[0]) || this.#random() >= this.#loss) {
      this.forwarded++;
      return false;
    }
    this.dropped++;
    return true;
  }

  // A front socket whose port the candidate names; each client that writes to
  // it gets a back socket of its own towards the real endpoint.
  async #proxy(host, port) {
    const front = await this.#bind();
    const backs = new Map(); // "address:port" of a client -> its back socket
    front.on('message', async (message, client) => {
      const key = `${client.address}:${client.port}`;
      let back = backs.get(key);
      if (!back) {
        back = this.#bind();
        backs.set(key, back);
        (await back).on('message', (reply) => {
          if (!this.#drop(reply)) front.send(reply, client.port, client.address);
        });
      }
      if (!this.#drop(message)) (await back).send(message, port, host);
    });
    return front.address().port;
  }

  #bind() {
    const socket = dgram.createSocket('udp4');
    this.#sockets.push(socket);
    socket.on('error', () => {}); // a closed test: nothing to report
    return new Promise((resolve) => socket.bind(0, '127.0.0.1', () => resolve(socket)));
  }
}
