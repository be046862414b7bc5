/**
 * `openFile` (Trio's `open_file`) and {@link Path} (`trio.Path`) with the common filesystem
 * operations as async methods. They live together because each needs the other: `openFile` takes
 * a `Path`, and `Path.open` is `openFile`.
 *
 * Cancellation: operations that change the filesystem are not abandoned halfway: they finish, then
 * the call raises `Cancelled` if cancellation arrived meanwhile. Read-only operations (`readText`,
 * `exists`, `stat`, ...) are abandoned when cancelled.
 */
import { promises as fsp } from 'node:fs';
import os from 'node:os';
import nodePath from 'node:path';
import { pathToFileURL } from 'node:url';
import {
  ValueError,
  awaitForeign,
  checkBoolean,
  checkBytes,
  checkEncoding,
  checkInstance,
  checkMethods,
  checkOptions,
  checkString,
  checkpoint,
  checkpointIfCancelled,
  currentSignal,
  type NodeBuffer,
  type NodeBufferEncoding,
  type NodeFileHandle,
  type NodeStats,
} from '@duet/kernel';
import { AsyncFile, completeThenCheckpoint, type BinaryMode, type FileMode } from './file';

/**
 * Options of {@link openFile}.
 *
 * @example
 * ```ts
 * await openFile('latin.txt', 'r', { encoding: 'latin1' });
 * ```
 */
export interface OpenFileOptions {
  /** The text encoding of a text-mode file; `'utf8'` by default. */
  encoding?: NodeBufferEncoding;
}

/** Throws a `TypeError` unless `value` is a path: a string or a {@link Path}. */
function checkPath(api: string, name: string, value: unknown): asserts value is string | Path {
  if (typeof value !== 'string') checkInstance(api, name, value, Path, 'a string or a Path');
}

/** A path given as a string or a {@link Path}, each segment checked. */
function joinSegments(api: string, segments: readonly unknown[]): string {
  for (const segment of segments) checkPath(api, 'a segment', segment);
  return nodePath.join(...segments.map(String));
}

const OPEN_FLAGS: Record<string, string> = { r: 'r', w: 'w', a: 'a', x: 'wx' };

/**
 * Reads a Python `open` mode as Python does (letters in any order, each once), giving Node's
 * flags; a bad mode is a `ValueError` with Python's reason.
 */
function parseMode(api: string, mode: string): { flags: string; binary: boolean } {
  checkString(api, 'mode', mode);
  const letters = new Set(mode);
  if (letters.size !== mode.length || [...letters].some((c) => !'rwax+bt'.includes(c)))
    throw new ValueError(
      `${api}: invalid mode ${JSON.stringify(mode)}: use r, w, a or x, with + and b or t`,
    );
  const kinds = [...'rwax'].filter((c) => letters.has(c));
  if (kinds.length !== 1)
    throw new ValueError(
      `${api}: invalid mode ${JSON.stringify(mode)}: it must have exactly one of r, w, a and x (read, write, append, create)`,
    );
  if (letters.has('b') && letters.has('t'))
    throw new ValueError(
      `${api}: invalid mode ${JSON.stringify(mode)}: it can't be text (t) and binary (b) at once`,
    );
  return {
    flags: OPEN_FLAGS[kinds[0]!]! + (letters.has('+') ? '+' : ''),
    binary: letters.has('b'),
  };
}

/** Checks the options of {@link openFile} / {@link wrapFile}: an encoding only in text mode. */
function checkFileOptions(api: string, binary: boolean, options: OpenFileOptions): void {
  checkOptions(api, options, ['encoding']);
  if (options.encoding !== undefined) {
    if (binary)
      throw new ValueError(`${api}: binary mode takes no encoding (leave it out, or drop the b)`);
    checkEncoding(api, 'encoding', options.encoding);
  }
}

/**
 * `trio.open_file`: opens `path` with a Python-style `mode` (`'r'` by default) and returns an
 * {@link AsyncFile}: of strings in text mode, of `Buffer`s in binary mode.
 *
 * @example
 * ```ts
 * await using f = await openFile('/tmp/out.txt', 'w');
 * await f.write('hello\n');
 * ```
 */
export async function openFile(
  path: string | Path,
  mode: BinaryMode,
  options?: OpenFileOptions,
): Promise<AsyncFile<NodeBuffer>>;
export async function openFile(
  path: string | Path,
  mode?: FileMode,
  options?: OpenFileOptions,
): Promise<AsyncFile<string>>;
export async function openFile(
  path: string | Path,
  mode: FileMode = 'r',
  options: OpenFileOptions = {},
): Promise<AsyncFile<string | NodeBuffer>> {
  const api = 'openFile()';
  checkPath(api, 'path', path);
  const { flags, binary } = parseMode(api, mode);
  checkFileOptions(api, binary, options);
  const name = String(path);
  await checkpointIfCancelled();
  const opening = fsp.open(name, flags);
  let handle: Awaited<typeof opening>;
  try {
    handle = await awaitForeign(opening);
  } catch (err) {
    void opening.then(
      (h) => h.close(),
      () => {},
    );
    throw err;
  }
  const stat = await completeThenCheckpoint(handle.stat(), 'fstat').catch(async (err: unknown) => {
    await handle.close();
    throw err;
  });
  const position = stat.isFile() ? (mode.includes('a') ? stat.size : 0) : null;
  return new AsyncFile(handle, name, mode, options.encoding ?? 'utf8', position);
}

/**
 * `trio.wrap_file`: an {@link AsyncFile} over a `FileHandle` you opened yourself
 * (`fs.promises.open`), read and written as `mode` says (`'r'` by default: text). The handle keeps
 * its own position, so `tell()` is `null` and `seek()` is not available; closing the file closes
 * the handle.
 *
 * @example
 * ```ts
 * const f = wrapFile(await fs.promises.open('log.txt', 'a'), 'a');
 * await f.write('one more line\n');
 * await f.aclose();
 * ```
 */
export function wrapFile(
  handle: NodeFileHandle,
  mode: BinaryMode,
  options?: OpenFileOptions,
): AsyncFile<NodeBuffer>;
export function wrapFile(
  handle: NodeFileHandle,
  mode?: FileMode,
  options?: OpenFileOptions,
): AsyncFile<string>;
export function wrapFile(
  handle: NodeFileHandle,
  mode: FileMode = 'r',
  options: OpenFileOptions = {},
): AsyncFile<string | NodeBuffer> {
  const api = 'wrapFile()';
  checkMethods(
    api,
    'handle',
    handle,
    ['read', 'write', 'close'],
    'a FileHandle (from fs.promises.open)',
  );
  if (typeof (handle as { fd?: unknown }).fd !== 'number')
    throw new TypeError(`${api}: handle must be a FileHandle (from fs.promises.open)`);
  const { binary } = parseMode(api, mode);
  checkFileOptions(api, binary, options);
  return new AsyncFile(handle, String(handle.fd), mode, options.encoding ?? 'utf8', null);
}

/**
 * `trio.Path`: a filesystem path with async methods for the common operations (the pure ones,
 * like `name` or `joinpath`, are plain). Read-only operations are abandoned when cancelled;
 * operations that change the filesystem finish, then raise `Cancelled`.
 *
 * @example
 * ```ts
 * const dir = new Path(os.tmpdir(), 'demo');
 * await dir.mkdir({ parents: true, existOk: true });
 * await dir.joinpath('a.txt').writeText('hi');
 * console.log(await dir.joinpath('a.txt').readText());
 * ```
 */
export class Path {
  /** The path as a string. */
  readonly path: string;

  constructor(...segments: (string | Path)[]) {
    this.path = segments.length === 0 ? '.' : joinSegments('new Path()', segments);
  }

  /** The current working directory. */
  static cwd(): Path {
    return new Path(process.cwd());
  }

  /** The user's home directory. */
  static home(): Path {
    return new Path(os.homedir());
  }

  /** A short description, for logs and debugging. */
  toString(): string {
    return this.path;
  }

  /** The last component, e.g. `'a.txt'`. */
  get name(): string {
    return nodePath.basename(this.path);
  }

  /** The last component without its suffix, e.g. `'a'`. */
  get stem(): string {
    return nodePath.basename(this.path, this.suffix);
  }

  /** The last extension with its dot, e.g. `'.gz'` for `'a.tar.gz'`, or `''` (also for `'a.'`). */
  get suffix(): string {
    return this.suffixes.at(-1) ?? '';
  }

  /**
   * Every extension of the last component, as pathlib counts them: `['.tar', '.gz']` for
   * `'a.tar.gz'`, none for `'.bashrc'` (leading dots belong to the name) or a name ending in a dot.
   */
  get suffixes(): string[] {
    const name = this.name;
    if (name.endsWith('.')) return [];
    return name
      .replace(/^\.+/, '')
      .split('.')
      .slice(1)
      .map((ext) => `.${ext}`);
  }

  /** The components: `['/', 'a', 'b.txt']` for `'/a/b.txt'`, `[]` for `'.'`. */
  get parts(): string[] {
    const { root } = nodePath.parse(this.path);
    const rest = this.path.slice(root.length).split(nodePath.sep);
    return [...(root === '' ? [] : [root]), ...rest.filter((p) => p !== '' && p !== '.')];
  }

  /** The directory containing this path. */
  get parent(): Path {
    return new Path(nodePath.dirname(this.path));
  }

  /** Every ancestor, nearest first: `/a/b`, `/a`, `/` for `'/a/b/c'`; `a`, `.` for `'a/b'`. */
  get parents(): Path[] {
    const found: Path[] = [];
    for (let p = this.path, up = nodePath.dirname(p); up !== p; p = up, up = nodePath.dirname(p))
      found.push(new Path(up));
    return found;
  }

  /**
   * This path relative to `other`, one of its ancestors (or itself: `'.'`), as
   * `PurePath.relative_to`; `ValueError` if it is not under `other`.
   */
  relativeTo(other: string | Path): Path {
    const rest = this.partsBelow('relativeTo()', other);
    if (rest === null)
      throw new ValueError(
        `relativeTo(): ${JSON.stringify(this.path)} is not in the subpath of ${JSON.stringify(String(other))}`,
      );
    return new Path(...rest);
  }

  /** Whether this path is `other` or under it (`PurePath.is_relative_to`). */
  isRelativeTo(other: string | Path): boolean {
    return this.partsBelow('isRelativeTo()', other) !== null;
  }

  /** The parts of this path below `other`, or null when `other`'s parts are not a prefix of them. */
  private partsBelow(api: string, other: string | Path): string[] | null {
    const base = new Path(joinSegments(api, [other])).parts;
    const mine = this.parts;
    if (base.length > mine.length || base.some((part, i) => part !== mine[i])) return null;
    return mine.slice(base.length);
  }

  /** True for an absolute path. */
  isAbsolute(): boolean {
    return nodePath.isAbsolute(this.path);
  }

  /** This path joined with more components. */
  joinpath(...segments: (string | Path)[]): Path {
    return new Path(this.path, joinSegments('joinpath()', segments));
  }

  /** This path with another last component (a name, without a separator). */
  withName(name: string): Path {
    checkString('withName()', 'name', name);
    if (name === '' || name === '.' || name.includes(nodePath.sep) || name.includes('/'))
      throw new ValueError(
        `withName(): invalid name ${JSON.stringify(name)}: pass a file name without a separator`,
      );
    return new Path(nodePath.dirname(this.path), name);
  }

  /** This path with another suffix (`'.txt'`; `''` removes it). */
  withSuffix(suffix: string): Path {
    checkString('withSuffix()', 'suffix', suffix);
    if (suffix !== '' && (!suffix.startsWith('.') || suffix === '.' || suffix.includes('/')))
      throw new ValueError(
        `withSuffix(): invalid suffix ${JSON.stringify(suffix)}: start it with a dot, '.txt' (or pass '' to remove it)`,
      );
    return new Path(nodePath.dirname(this.path), this.stem + suffix);
  }

  /** The path as a `file:` URI (the path must be absolute). */
  asUri(): string {
    if (!this.isAbsolute())
      throw new ValueError(
        `asUri(): ${JSON.stringify(this.path)} is relative: pass an absolute path`,
      );
    return pathToFileURL(this.path).href;
  }

  /** The absolute path (from the working directory; symbolic links are kept). */
  async absolute(): Promise<Path> {
    await checkpoint();
    return new Path(nodePath.resolve(this.path));
  }

  /** The absolute path with symbolic links resolved. */
  async resolve(): Promise<Path> {
    return new Path(await awaitForeign(fsp.realpath(this.path)));
  }

  /** The file's `Stats`. */
  stat(): Promise<NodeStats> {
    return awaitForeign(fsp.stat(this.path));
  }

  /** True if something exists at this path. */
  async exists(): Promise<boolean> {
    return awaitForeign(
      fsp.stat(this.path).then(
        () => true,
        () => false,
      ),
    );
  }

  /** True for a regular file. */
  async isFile(): Promise<boolean> {
    return awaitForeign(
      fsp.stat(this.path).then(
        (s) => s.isFile(),
        () => false,
      ),
    );
  }

  /** True for a directory. */
  async isDir(): Promise<boolean> {
    return awaitForeign(
      fsp.stat(this.path).then(
        (s) => s.isDirectory(),
        () => false,
      ),
    );
  }

  /** The whole file as a string. */
  async readText(encoding: NodeBufferEncoding = 'utf8'): Promise<string> {
    checkEncoding('readText()', 'encoding', encoding);
    return awaitForeign(fsp.readFile(this.path, { encoding, signal: currentSignal() }));
  }

  /** The whole file as bytes. */
  readBytes(): Promise<NodeBuffer> {
    return awaitForeign(fsp.readFile(this.path, { signal: currentSignal() }));
  }

  /** Replaces the file's contents with `text`. */
  async writeText(text: string, encoding: NodeBufferEncoding = 'utf8'): Promise<void> {
    checkString('writeText()', 'text', text);
    checkEncoding('writeText()', 'encoding', encoding);
    await checkpointIfCancelled();
    await completeThenCheckpoint(fsp.writeFile(this.path, text, { encoding }), 'writeText');
  }

  /** Replaces the file's contents with `data`. */
  async writeBytes(data: Uint8Array): Promise<void> {
    checkBytes('writeBytes()', 'data', data);
    if (typeof data === 'string')
      throw new TypeError('writeBytes(): data must be a Uint8Array (for a string, use writeText)');
    await checkpointIfCancelled();
    await completeThenCheckpoint(fsp.writeFile(this.path, data), 'writeBytes');
  }

  /** Creates the directory; `parents` creates missing parents, `existOk` accepts an existing one. */
  async mkdir(options: { parents?: boolean; existOk?: boolean } = {}): Promise<void> {
    checkOptions('mkdir()', options, ['parents', 'existOk']);
    checkBoolean('mkdir()', 'parents', options.parents, true);
    checkBoolean('mkdir()', 'existOk', options.existOk, true);
    await checkpointIfCancelled();
    try {
      await completeThenCheckpoint(
        fsp.mkdir(this.path, { recursive: options.parents === true }),
        'mkdir',
      );
    } catch (err) {
      if (!(options.existOk && (err as { code?: string }).code === 'EEXIST')) throw err;
    }
    if (options.parents && !options.existOk && !(await this.isDir())) {
      throw Object.assign(new Error(`EEXIST: file already exists, mkdir '${this.path}'`), {
        code: 'EEXIST',
      });
    }
  }

  /** Removes the (empty) directory. */
  async rmdir(): Promise<void> {
    await checkpointIfCancelled();
    await completeThenCheckpoint(fsp.rmdir(this.path), 'rmdir');
  }

  /** Removes the file; `missingOk` accepts a missing one. */
  async unlink(options: { missingOk?: boolean } = {}): Promise<void> {
    checkOptions('unlink()', options, ['missingOk']);
    checkBoolean('unlink()', 'missingOk', options.missingOk, true);
    await checkpointIfCancelled();
    try {
      await completeThenCheckpoint(fsp.unlink(this.path), 'unlink');
    } catch (err) {
      if (!(options.missingOk && (err as { code?: string }).code === 'ENOENT')) throw err;
    }
  }

  /** Renames (moves) to `target` and returns the new path. */
  async rename(target: string | Path): Promise<Path> {
    checkPath('rename()', 'target', target);
    await checkpointIfCancelled();
    await completeThenCheckpoint(fsp.rename(this.path, String(target)), 'rename');
    return new Path(target);
  }

  /** Creates the file if missing, else updates its modification time. */
  async touch(): Promise<void> {
    await checkpointIfCancelled();
    const now = new Date();
    await completeThenCheckpoint(
      fsp.utimes(this.path, now, now).catch(async (err: unknown) => {
        if ((err as { code?: string }).code !== 'ENOENT') throw err;
        await (await fsp.open(this.path, 'a')).close();
      }),
      'touch',
    );
  }

  /** The entries of the directory. */
  async iterdir(): Promise<Path[]> {
    const names = await awaitForeign(fsp.readdir(this.path));
    return names.map((n) => this.joinpath(n));
  }

  /** Opens the file, as {@link openFile}. */
  open(mode: BinaryMode, options?: OpenFileOptions): Promise<AsyncFile<NodeBuffer>>;
  open(mode?: FileMode, options?: OpenFileOptions): Promise<AsyncFile<string>>;
  open(
    mode: FileMode = 'r',
    options: OpenFileOptions = {},
  ): Promise<AsyncFile<string | NodeBuffer>> {
    return openFile(this.path, mode, options);
  }
}
