// Running child processes from the build and test scripts.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const repoRoot = fileURLToPath(new URL('..', import.meta.url));

/**
 * Runs a command with output streamed to ours. Resolves to { code, output }
 * where `output` is what it printed (stdout + stderr), for callers that read
 * a summary from it (`capture`; with `echo: false`, not streamed to ours).
 * Never rejects on a non-zero exit: the caller decides.
 */
export function run(command, args, { env = {}, capture = false, echo = true } = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      cwd: repoRoot,
      env: { ...process.env, ...env },
      stdio: capture ? ['ignore', 'pipe', 'pipe'] : 'inherit',
    });
    let output = '';
    if (capture) {
      for (const [stream, sink] of [[child.stdout, process.stdout], [child.stderr, process.stderr]]) {
        stream.on('data', (chunk) => {
          output += chunk;
          if (echo) sink.write(chunk);
        });
      }
    }
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code: code ?? (signal ? 128 : 1), output }));
  });
}

/** Like run(), but throws when the command fails. */
export async function mustRun(command, args, options) {
  const result = await run(command, args, options);
  if (result.code !== 0) throw new Error(`${command} ${args.join(' ')} exited with ${result.code}`);
  return result;
}
