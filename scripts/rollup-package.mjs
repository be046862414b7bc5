// Shared Rollup configuration for every package in packages/*.
//
// Each package's rollup.config.mjs calls packageConfig(import.meta.url). The
// entry points are read from the package's `exports` map: "." is built from
// src/index.ts, "./foo" from src/foo.ts. Every entry produces
//   dist/<name>.mjs (ESM), dist/<name>.cjs (CJS) and dist/<name>.d.ts.
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { builtinModules } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import typescript from '@rollup/plugin-typescript';

const builtins = new Set([...builtinModules, ...builtinModules.map((m) => `node:${m}`)]);

/** Imports that stay imports in dist: sibling packages, Node built-ins, declared peers. */
function isExternal(id, peers = []) {
  return (
    id.startsWith('@duet/') || builtins.has(id) || id.startsWith('node:') || peers.includes(id)
  );
}

/** Map the package's `exports` to { entryName: absolute source path }. */
function entriesFromExports(pkgDir, pkg) {
  const input = {};
  for (const [key, target] of Object.entries(pkg.exports ?? {})) {
    if (key === './package.json') continue;
    const name = key === '.' ? 'index' : key.replace(/^\.\//, '');
    const expected = {
      types: `./dist/${name}.d.ts`,
      import: `./dist/${name}.mjs`,
      require: `./dist/${name}.cjs`,
    };
    if (JSON.stringify(target) !== JSON.stringify(expected)) {
      throw new Error(
        `${pkg.name}: exports["${key}"] must be ${JSON.stringify(expected)} (types first), ` +
          `got ${JSON.stringify(target)}`,
      );
    }
    const src = path.join(pkgDir, 'src', `${name}.ts`);
    if (!existsSync(src)) {
      const shown = path.relative(path.resolve(pkgDir, '..', '..'), src);
      throw new Error(
        `${pkg.name}: exports["${key}"] is built from ${shown}, which does not exist`,
      );
    }
    input[name] = src;
  }
  if (!input.index) throw new Error(`${pkg.name}: exports has no "." entry`);
  return input;
}

export function packageConfig(configUrl) {
  const pkgDir = path.dirname(fileURLToPath(configUrl));
  const pkg = JSON.parse(readFileSync(path.join(pkgDir, 'package.json'), 'utf8'));
  const input = entriesFromExports(pkgDir, pkg);
  const distDir = path.join(pkgDir, 'dist');
  rmSync(distDir, { recursive: true, force: true });

  return {
    input,
    external: (id) => isExternal(id, Object.keys(pkg.peerDependencies ?? {})),
    onwarn(warning, warn) {
      // A bare import that is neither @duet/* nor a Node built-in would have to
      // become a runtime dependency; the packages must not have any.
      if (warning.code === 'UNRESOLVED_IMPORT') {
        throw new Error(
          `${pkg.name}: unresolved import ${warning.exporter ?? ''} (${warning.message})`,
        );
      }
      warn(warning);
    },
    plugins: [
      typescript({
        tsconfig: path.join(pkgDir, 'tsconfig.json'),
        include: [path.join(pkgDir, 'src', '**', '*.ts')],
        exclude: [path.join(pkgDir, 'test', '**')],
        compilerOptions: {
          rootDir: path.join(pkgDir, 'src'),
          outDir: distDir,
          declaration: true,
          declarationDir: distDir,
          sourceMap: true,
          noEmit: false,
          // The base config maps @duet/* to sibling sources for typecheck and
          // editors. For the build they must resolve like a consumer's would:
          // through node_modules to the sibling's built dist/*.d.ts.
          paths: {},
        },
      }),
    ],
    output: [
      {
        dir: distDir,
        format: 'es',
        entryFileNames: '[name].mjs',
        chunkFileNames: 'chunks/[name]-[hash].mjs',
        sourcemap: true,
      },
      {
        dir: distDir,
        format: 'cjs',
        entryFileNames: '[name].cjs',
        chunkFileNames: 'chunks/[name]-[hash].cjs',
        exports: 'named',
        sourcemap: true,
      },
    ],
  };
}
