// Crossings from JS into wasm per send and per received message, measured by
// the tests' hook (tests/support/crossings.mjs). Runnable alone:
// node bench/crossings.mjs
import { measureCrossings } from '../tests/support/crossings.mjs';

export { measureCrossings };

if (import.meta.url === `file://${process.argv[1]}`) {
  const { messages, perSend, perReceived, receiveMs } = await measureCrossings();
  console.log({ messages, perSend, perReceived, receiveMs });
  process.exit(0);
}
