// Shared Rollup configuration for every package in packages/*.
//
// Each package's rollup.config.mjs calls packageConfig(import.meta.url). The
// entry points are read from the package's `exports` map: "." is built from
// src/index.ts, "./foo" from src/foo.ts. Every entry produces
//   dist/<name>.cjs       CommonJS: what Node runs, for `require` and `import` alike
//   dist/<name>.node.mjs  Node's `import`: a thin ESM wrapper re-exporting <name>.cjs
//   dist/<name>.mjs       ESM for bundlers (tree-shakable)
//   dist/<name>.d.ts      types (CommonJS flavour), dist/<name>.d.mts the ESM flavour
// Node loads one copy of each package whatever mix of import and require reaches
// it (no dual-package hazard: one kernel, one Cancelled class per process).
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { builtinModules } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import typescript from '@rollup/plugin-typescript';

const builtins = new Set([...builtinModules, ...builtinModules.map((m) => `node:${m}`)]);

/** Imports that stay imports in dist: sibling packages, Node built-ins and declared peers. */
function isExternal(id, peers) {
  return id.startsWith('@duet/') || builtins.has(id) || id.startsWith('node:') || peers.has(id);
}

/** The `exports` entry every entry point must have (condition order matters: types first). */
export function exportsEntry(name) {
  return {
    import: {
      types: `./dist/${name}.d.mts`,
      node: `./dist/${name}.node.mjs`,
      default: `./dist/${name}.mjs`,
    },
    require: { types: `./dist/${name}.d.ts`, default: `./dist/${name}.cjs` },
  };
}

/**
 * Emits, next to each ESM entry chunk, the Node wrapper over the CJS build and the ESM `.d.mts`.
 * The wrapper names every export explicitly, so Node need not guess them from the CJS code.
 */
function nodeWrappers() {
  return {
    name: 'duet-node-wrappers',
    generateBundle(options, bundle) {
      if (options.format !== 'es') return;
      for (const chunk of Object.values(bundle)) {
        if (chunk.type !== 'chunk' || !chunk.isEntry) continue;
        const names = chunk.exports.filter((n) => n !== 'default');
        this.emitFile({
          type: 'asset',
          fileName: `${chunk.name}.node.mjs`,
          source:
            `// Node's ESM entry: the CommonJS build, so import and require share one instance.\n` +
            `import cjs from './${chunk.name}.cjs';\n\n` +
            `export const {\n${names.map((n) => `  ${n},\n`).join('')}} = cjs;\n` +
            (chunk.exports.includes('default') ? `export default cjs.default;\n` : ''),
        });
        this.emitFile({
          type: 'asset',
          fileName: `${chunk.name}.d.mts`,
          source:
            `export * from './${chunk.name}.js';\n` +
            (chunk.exports.includes('default')
              ? `export { default } from './${chunk.name}.js';\n`
              : ''),
        });
      }
    },
  };
}

/** Map the package's `exports` to { entryName: absolute source path }. */
function entriesFromExports(pkgDir, pkg) {
  const input = {};
  for (const [key, target] of Object.entries(pkg.exports ?? {})) {
    if (key === './package.json') continue;
    const name = key === '.' ? 'index' : key.replace(/^\.\//, '');
    const expected = exportsEntry(name);
    if (JSON.stringify(target) !== JSON.stringify(expected)) {
      throw new Error(
        `${pkg.name}: exports["${key}"] must be ${JSON.stringify(expected)}, ` +
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

/**
 * `ownChunks` names source modules (`src/<name>.ts`) that get a chunk of their own. A bundler
 * places code by module, and a dist chunk is one module to it: code that only lazily imported
 * chunks use but that sits in a chunk the entry needs loads eagerly in every bundle. A module used
 * by a lazy chunk and otherwise only by public exports a program may not import belongs here.
 */
export function packageConfig(configUrl, { ownChunks = [] } = {}) {
  const pkgDir = path.dirname(fileURLToPath(configUrl));
  const pkg = JSON.parse(readFileSync(path.join(pkgDir, 'package.json'), 'utf8'));
  const input = entriesFromExports(pkgDir, pkg);
  const distDir = path.join(pkgDir, 'dist');
  rmSync(distDir, { recursive: true, force: true });

  const ownChunkFiles = new Map(
    ownChunks.map((name) => [path.join(pkgDir, 'src', `${name}.ts`), name]),
  );
  const manualChunks = (id) => ownChunkFiles.get(id);

  return {
    input,
    // Peers are for the tools (the codemod needs `typescript`); the library packages have none.
    external: (id) => isExternal(id, new Set(Object.keys(pkg.peerDependencies ?? {}))),
    onwarn(warning, warn) {
      // A bare import that is neither @duet/* nor a Node built-in would have to
      // become a runtime dependency; the packages must not have any.
      if (warning.code === 'UNRESOLVED_IMPORT') {
        throw new Error(
          `${pkg.name}: unresolved import ${warning.exporter ?? ''} (${warning.message})`,
        );
      }
      // A type error in the build is one against the siblings' published .d.ts (what consumers
      // get): a member stripped as @internal that another package uses, say. It must not pass.
      if (warning.plugin === 'typescript') {
        throw new Error(`${pkg.name}: ${warning.message}`);
      }
      // An import circle makes module order matter and reads as a fault on every build (issue 19).
      if (warning.code === 'CIRCULAR_DEPENDENCY') {
        const ids = warning.ids?.map((id) => path.relative(pkgDir, id)).join(' -> ');
        throw new Error(`${pkg.name}: import circle ${ids ?? warning.message}`);
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
          // Members marked @internal are the package's own: left out of the published types, so
          // no other package (nor a user) can reach them. The low-level contracts are public API.
          stripInternal: true,
          sourceMap: true,
          // src/ is not shipped: the maps carry the sources themselves.
          inlineSources: true,
          noEmit: false,
          // The base config maps @duet/* to sibling sources for typecheck and
          // editors. For the build they must resolve like a consumer's would:
          // through node_modules to the sibling's built dist/*.d.ts. A package's
          // import of its own name (an entry kept apart from the main one, such as
          // the kernel's inspector) resolves to its own sources; it stays external.
          paths: { [pkg.name]: [path.join(pkgDir, 'src', 'index.ts')] },
        },
      }),
      nodeWrappers(),
    ],
    output: [
      {
        dir: distDir,
        format: 'es',
        entryFileNames: '[name].mjs',
        chunkFileNames: 'chunks/[name]-[hash].mjs',
        manualChunks,
        sourcemap: true,
      },
      {
        dir: distDir,
        format: 'cjs',
        entryFileNames: '[name].cjs',
        chunkFileNames: 'chunks/[name]-[hash].cjs',
        manualChunks,
        exports: 'named',
        sourcemap: true,
      },
    ],
  };
}
