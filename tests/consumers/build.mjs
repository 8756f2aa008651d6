// Builds the consumer app (a copy of app/ with the packed rtcmesh in its
// node_modules) with one bundler, as its users would:
//   node tests/consumers/build.mjs vite|webpack|esbuild <appDir> <outDir>
// Prints the bundler's version. Only esbuild needs a step of its own: it
// does not emit assets referenced by `new URL(..., import.meta.url)`, so the
// .wasm is copied next to the bundle (the README's snippet).
import { copyFile, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

const [bundler, appDir, outDir] = process.argv.slice(2);
const page = (script) => `<!doctype html><html><head><meta charset="utf-8"><link rel="icon" href="data:,"></head><body>${script}</body></html>`;

const builders = {
  async vite() {
    const vite = await import('vite');
    await vite.build({ root: appDir, configFile: false, logLevel: 'warn', build: { outDir, emptyOutDir: true } });
    return vite.version;
  },
  async webpack() {
    const { default: webpack } = await import('webpack');
    const stats = await new Promise((resolve, reject) => {
      webpack({
        mode: 'production',
        context: appDir,
        entry: './main.js',
        output: { path: outDir, filename: 'main.js', publicPath: 'auto' },
        performance: { hints: false },
      }).run((error, result) => (error ? reject(error) : resolve(result)));
    });
    if (stats.hasErrors()) throw new Error(stats.toString('errors-only'));
    await writeFile(join(outDir, 'index.html'), page('<script src="main.js"></script>'));
    return webpack.version;
  },
  async esbuild() {
    const esbuild = await import('esbuild');
    await esbuild.build({ entryPoints: [join(appDir, 'main.js')], bundle: true, format: 'esm', platform: 'browser', outdir: outDir, logLevel: 'warning' });
    await copyFile(join(appDir, 'node_modules/rtcmesh/dist/rtcmesh-core.wasm'), join(outDir, 'rtcmesh-core.wasm'));
    await writeFile(join(outDir, 'index.html'), page('<script type="module" src="main.js"></script>'));
    return esbuild.version;
  },
};

await mkdir(outDir, { recursive: true });
console.log(`${bundler} ${await builders[bundler]()}`);
