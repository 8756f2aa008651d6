// Builds a consumer app (a copy of app/ with the packed rtcmesh in its
// node_modules) with one bundler, as its users would:
//   node tests/consumers/build.mjs vite|webpack|esbuild|rollup <appDir> <outDir>
// Prints the bundler's version. The bundlers are imported from this file's
// node_modules: tests/consumers/matrix.mjs copies it next to older versions.
// Vite reads the app's vite.config.js if the app has one (the README's
// snippet), and nothing else. esbuild and Rollup do not emit assets referenced
// by `new URL(..., import.meta.url)`, so the .wasm is copied next to the bundle
// (the README's snippet); Rollup needs its node-resolve plugin for packages.
import { copyFile, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

const [bundler, appDir, outDir] = process.argv.slice(2);
const page = (script) => `<!doctype html><html><head><meta charset="utf-8"><link rel="icon" href="data:,"></head><body>${script}</body></html>`;
const copyWasm = () => copyFile(join(appDir, 'node_modules/rtcmesh/dist/rtcmesh-core.wasm'), join(outDir, 'rtcmesh-core.wasm'));

const builders = {
  async vite() {
    const vite = await import('vite');
    await vite.build({ root: appDir, logLevel: 'warn', build: { outDir, emptyOutDir: true } });
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
    await copyWasm();
    await writeFile(join(outDir, 'index.html'), page('<script type="module" src="main.js"></script>'));
    return esbuild.version;
  },
  async rollup() {
    const { rollup, VERSION } = await import('rollup');
    const { nodeResolve } = await import('@rollup/plugin-node-resolve');
    const bundle = await rollup({ input: join(appDir, 'main.js'), plugins: [nodeResolve()] });
    await bundle.write({ dir: outDir, format: 'es' });
    await bundle.close();
    await copyWasm();
    await writeFile(join(outDir, 'index.html'), page('<script type="module" src="main.js"></script>'));
    return VERSION;
  },
};

await mkdir(outDir, { recursive: true });
console.log(`${bundler} ${await builders[bundler]()}`);
