// Serves a consumer app with Vite's dev server, prints "url <address> vite
// <version>", and runs until killed:
//   node tests/consumers/dev.mjs <appDir>
// Vite reads the app's vite.config.js if it has one, and nothing else.
// (Copied next to older Vites by matrix.mjs: it imports nothing of the repo.)
import net from 'node:net';

const [appDir] = process.argv.slice(2);
const vite = await import('vite');

/** A port on 127.0.0.1 that was free a moment ago. */
async function freePort() {
  const probe = net.createServer();
  await new Promise((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address();
  await new Promise((resolve) => probe.close(resolve));
  return port;
}

// A port of our own rather than port 0: Vite 5 to 7 read 0 as "5173", and
// Vite 8 gives up after 3 tries when the machine's ephemeral ports are busy.
for (let attempt = 1; ; attempt++) {
  const server = await vite.createServer({ root: appDir, logLevel: 'warn', server: { host: '127.0.0.1', port: await freePort(), strictPort: true } });
  try {
    await server.listen();
    console.log(`url ${server.resolvedUrls.local[0]} vite ${vite.version}`);
    break;
  } catch (error) {
    await server.close();
    if (attempt === 5) throw error; // taken meanwhile by another process: try another
  }
}
