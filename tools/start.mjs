// `npm start`: builds what is missing, then serves the demo page and runs the
// signaling server, both on localhost.
//   PORT=8080 SIGNAL_PORT=8787 npm start
import { buildPreset, ensureNodeModules, ensureToolchain } from './build.mjs';
import { startStaticServer } from './static-server.mjs';

async function main() {
  await ensureNodeModules();
  await ensureToolchain();
  await buildPreset('wasm');
  // Imported after ensureNodeModules(): the server needs the `ws` package.
  const { startSignalServer } = await import('../js/signal/server.js');
  const signal = await startSignalServer({
    port: Number(process.env.SIGNAL_PORT ?? 8787),
    log: (line) => console.log(`signal: ${line}`),
  });
  const { url } = await startStaticServer({ port: Number(process.env.PORT ?? 8080) });
  console.log(`rtcmesh signaling server: ${signal.url}`);
  // The page dials ws://<its host>:8787 unless told otherwise.
  const demoUrl = signal.url.endsWith(":8787") ? url : `${url}?signal=${encodeURIComponent(signal.url)}`;
  console.log(`rtcmesh demo: ${demoUrl}`);
  console.log('Press Ctrl-C to stop.');
}

main().catch((error) => {
  console.error(`npm start: ${error.message}`);
  process.exit(1);
});
