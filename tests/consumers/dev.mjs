// Serves the consumer app with Vite's dev server (no configuration), prints
// "url <address>", and runs until killed:
//   node tests/consumers/dev.mjs <appDir>
const [appDir] = process.argv.slice(2);
const vite = await import('vite');
const server = await vite.createServer({ root: appDir, configFile: false, logLevel: 'warn', server: { host: '127.0.0.1', port: 0 } });
await server.listen();
console.log(`url ${server.resolvedUrls.local[0]} vite ${vite.version}`);
