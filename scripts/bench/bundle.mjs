// The bundle-size check: each facade's hello-nursery program bundled with Rollup, node-resolve and
// terser (Node built-ins external), then gzipped. A facade whose dist does not build the program
// (missing, or an export it uses is absent) is reported with the kernel's program in its place.
import { builtinModules } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { nodeResolve } from '@rollup/plugin-node-resolve';
import terser from '@rollup/plugin-terser';
import { rollup } from 'rollup';

const benchDir = path.dirname(fileURLToPath(import.meta.url));
const builtins = new Set([...builtinModules, ...builtinModules.map((m) => `node:${m}`)]);

async function sizeOf(entry) {
  const warnings = [];
  const build = await rollup({
    input: path.join(benchDir, 'bundle', entry),
    external: (id) => builtins.has(id),
    plugins: [nodeResolve({ exportConditions: ['import', 'default'], preferBuiltins: true })],
    onwarn: (w) => warnings.push(w),
  });
  const missing = warnings.find((w) => w.code === 'MISSING_EXPORT');
  if (missing) {
    await build.close();
    throw new Error(missing.message);
  }
  const { output } = await build.generate({
    format: 'es',
    plugins: [terser({ module: true, compress: { passes: 2 } })],
  });
  await build.close();
  const code = output[0].code;
  return { minBytes: Buffer.byteLength(code), gzipBytes: gzipSync(code, { level: 9 }).length };
}

export async function bundleSizes() {
  const out = [];
  for (const [facade, entry] of [
    ['@duet/trio', 'hello-trio.mjs'],
    ['@duet/asyncio', 'hello-asyncio.mjs'],
    ['@duet/kernel', 'hello-kernel.mjs'],
  ]) {
    try {
      out.push({ facade, entry, ...(await sizeOf(entry)) });
    } catch (err) {
      if (facade === '@duet/kernel') {
        out.push({ facade, entry, error: String(err.message).split('\n')[0].slice(0, 120) });
        continue;
      }
      const fallback = await sizeOf('hello-kernel.mjs').catch(() => null);
      out.push({
        facade,
        entry: fallback ? 'hello-kernel.mjs (facade not bundleable yet)' : entry,
        ...(fallback ?? { error: String(err.message).split('\n')[0].slice(0, 120) }),
        note: String(err.message).split('\n')[0].slice(0, 160),
      });
    }
  }
  return out;
}
