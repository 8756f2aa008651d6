// `npm start`: builds what is missing, then serves the demo on localhost.
//   PORT=8080 npm start
import { buildPreset, ensureToolchain } from './build.mjs';
import { startStaticServer } from './static-server.mjs';

async function main() {
  await ensureToolchain();
  await buildPreset('wasm');
  const port = Number(process.env.PORT ?? 8080);
  const { url } = await startStaticServer({ port });
  console.log(`rtcmesh demo: ${url}`);
  console.log('Press Ctrl-C to stop.');
}

main().catch((error) => {
  console.error(`npm start: ${error.message}`);
  process.exit(1);
});
