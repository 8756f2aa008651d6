// `npm start`: builds what is missing, then serves the demo page and runs the
// signaling server, both on localhost.
//   PORT=8080 SIGNAL_PORT=8787 npm start
//   npm start -- --cluster    three signaling servers (8787-8789) sharing rooms
//                             through a throwaway local redis-server
import { buildPreset, ensureNodeModules, ensureToolchain } from './build.mjs';
import { startStaticServer } from './static-server.mjs';

const cluster = process.argv.includes('--cluster');

async function main() {
  await ensureNodeModules();
  await ensureToolchain();
  await buildPreset('wasm');
  // Imported after ensureNodeModules(): the server needs the `ws` package.
  const { startLocalSignaling } = await import('./local-signaling.mjs');
  const signaling = await startLocalSignaling({
    port: Number(process.env.SIGNAL_PORT ?? 8787),
    cluster,
    log: (line) => console.log(`signal: ${line}`),
  });
  const signal = signaling.servers[0];
  if (signaling.redis) {
    process.on('exit', () => signaling.redis.stop());
    console.log(`redis: ${signaling.redis.url} (throwaway, nothing written to disk)`);
    for (const other of signaling.servers.slice(1)) console.log(`rtcmesh signaling server (same cluster): ${other.url}`);
  }
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
