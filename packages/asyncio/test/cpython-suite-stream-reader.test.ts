/**
 * Scenarios of CPython 3.13's Lib/test/test_asyncio/test_streams.py on a `StreamReader` fed by
 * hand (feedData / feedEof / setException), restated for Duet's API; every expected value is
 * what CPython 3.13.0 gave for the same steps. Duet's own differences: `feedData` after
 * `feedEof` is a `RuntimeError` (CPython: an assertion), and a list of separators is accepted
 * where CPython takes a tuple.
 */
import { RuntimeError, ValueError, createTask, getRunningLoop, run, sleep } from '@duet/asyncio';
import { IncompleteReadError, LimitOverrunError } from '../src/stream-errors';
import { StreamReader } from '../src/stream-reader';

const b = (s: string): Buffer => Buffer.from(s);
const str = (buf: Uint8Array): string => Buffer.from(buf).toString();

/** A reader with `chunks` fed (and EOF, with `eof`). */
function fed(chunks: string[], options: { limit?: number; eof?: boolean } = {}): StreamReader {
  const reader = new StreamReader(options.limit);
  for (const c of chunks) reader.feedData(b(c));
  if (options.eof === true) reader.feedEof();
  return reader;
}

/** What is left in the reader's buffer (read without waiting: EOF is fed first if needed). */
async function rest(reader: StreamReader): Promise<string> {
  if (!reader.atEof()) {
    // read(n) of buffered bytes returns at once: take all that is there.
    const parts: string[] = [];
    for (;;) {
      const task = createTask(() => reader.read(1 << 20));
      await sleep(0);
      if (!task.done()) {
        task.cancel();
        await task.then(
          () => undefined,
          () => undefined,
        );
        return parts.join('');
      }
      const part = await task;
      if (part.length === 0) return parts.join('');
      parts.push(str(part));
    }
  }
  return '';
}

/** What awaiting `aw` gives: its value, or the error it raised. */
async function caught(aw: PromiseLike<unknown>): Promise<unknown> {
  try {
    return await aw;
  } catch (err) {
    return err;
  }
}

describe('CPython test_streams: StreamReader', () => {
  test('test_invalid_limit: a limit <= 0 is a ValueError', () => {
    expect(() => new StreamReader(0)).toThrow(ValueError);
    expect(() => new StreamReader(-1)).toThrow(ValueError);
  });

  test('test_feed_empty_data / test_read_zero: nothing buffered, read(0) takes nothing', async () => {
    await run(async () => {
      const empty = fed(['']);
      expect(await rest(empty)).toBe('');
      const r = fed(['data']);
      expect(str(await r.read(0))).toBe('');
      expect(await rest(r)).toBe('data');
    });
  });

  test('test_read / test_read_line_breaks / test_read_limit: read(n) waits, then takes up to n', async () => {
    await run(async () => {
      const r = new StreamReader();
      const t = createTask(() => r.read(30));
      await sleep(0);
      r.feedData(b('chunk'));
      expect(str(await t)).toBe('chunk');
      const lines = fed(['line1', 'line2']);
      expect(str(await lines.read(5))).toBe('line1');
      expect(await rest(lines)).toBe('line2');
      // The limit bounds readuntil, not read(n).
      expect(str(await fed(['chunk'], { limit: 3 }).read(5))).toBe('chunk');
    });
  });

  test('test_read_eof / test_read_until_eof: EOF ends read(n) with nothing; read(-1) gathers all', async () => {
    await run(async () => {
      const r = new StreamReader();
      const t = createTask(() => r.read(1024));
      await sleep(0);
      r.feedEof();
      expect(str(await t)).toBe('');
      const all = new StreamReader();
      const t2 = createTask(() => all.read(-1));
      await sleep(0);
      all.feedData(b('chunk1\n'));
      all.feedData(b('chunk2'));
      await sleep(0);
      all.feedEof();
      expect(str(await t2)).toBe('chunk1\nchunk2');
      const ended = fed([], { eof: true });
      expect([await ended.read(5), await ended.read(-1), await ended.read()].map(str)).toEqual([
        '',
        '',
        '',
      ]);
    });
  });

  test('test_read_exception: once an exception is set, every read raises it, bytes buffered or not', async () => {
    await run(async () => {
      const r = fed(['line\n']);
      expect(str(await r.read(2))).toBe('li');
      r.setException(new ValueError('x'));
      const reads: (() => Promise<unknown>)[] = [
        () => r.read(2),
        () => r.read(0),
        () => r.read(-1),
        () => r.readline(),
        () => r.readexactly(1),
        () => r.readexactly(0),
        () => r.readuntil('\n'),
      ];
      for (const read of reads) expect(await caught(read())).toBeInstanceOf(ValueError);
    });
  });

  test('test_readline: a line split over several chunks; the rest stays buffered', async () => {
    await run(async () => {
      const r = fed(['chunk1 ']);
      const t = createTask(() => r.readline());
      await sleep(0);
      r.feedData(b('chunk2 '));
      r.feedData(b('chunk3 \n chunk4'));
      expect(str(await t)).toBe('chunk1 chunk2 chunk3 \n');
      expect(await rest(r)).toBe(' chunk4');
    });
  });

  test('test_readline_limit_asyncio: a line over the limit is a ValueError and is dropped', async () => {
    await run(async () => {
      const one = new StreamReader(3);
      const t1 = createTask(() => one.readline());
      await sleep(0);
      for (const c of ['chunk1', 'chunk2', 'chunk3\n']) one.feedData(b(c));
      one.feedEof();
      const e1 = await caught(t1);
      expect(e1).toBeInstanceOf(ValueError);
      expect((e1 as Error).message).toBe('Separator is found, but chunk is longer than limit');
      expect(await rest(one)).toBe('');

      const two = new StreamReader(3);
      const t2 = createTask(() => two.readline());
      await sleep(0);
      for (const c of ['chunk1', 'chunk2\n', 'chunk3\n']) two.feedData(b(c));
      two.feedEof();
      expect(await caught(t2)).toBeInstanceOf(ValueError);
      expect(str(await two.read())).toBe('chunk3\n');
    });
  });

  test('test_readline_limit: the limit is strict (a line of exactly limit bytes before "\\n" passes)', async () => {
    await run(async () => {
      const r = new StreamReader(7);
      r.feedData(b('1234567\n'));
      expect(str(await r.readline())).toBe('1234567\n');
      r.feedData(b('12345678\n'));
      expect(await caught(r.readline())).toBeInstanceOf(ValueError);
      expect(await rest(r)).toBe('');
      r.feedData(b('12345678'));
      const e = await caught(r.readline());
      expect((e as Error).message).toBe('Separator is not found, and chunk exceed the limit');
      expect(await rest(r)).toBe('');
      r.feedData(b('gh\nij\n'));
      expect(str(await r.readline())).toBe('gh\n');
    });
  });

  test('test_readline_read_byte_count / eof / empty eof / exception', async () => {
    await run(async () => {
      const r = fed(['line1\nline2\nline3\n']);
      expect(str(await r.readline())).toBe('line1\n');
      expect(str(await r.read(7))).toBe('line2\nl');
      expect(await rest(r)).toBe('ine3\n');
      const partial = fed(['some data'], { eof: true });
      expect([await partial.readline(), await partial.readline()].map(str)).toEqual([
        'some data',
        '',
      ]);
      expect(str(await fed([], { eof: true }).readline())).toBe('');
      const failing = fed(['line\n']);
      expect(str(await failing.readline())).toBe('line\n');
      failing.setException(new ValueError('x'));
      expect(await caught(failing.readline())).toBeInstanceOf(ValueError);
    });
  });

  test('test_readuntil_separator / test_readuntil_multi_chunks(_1)', async () => {
    await run(async () => {
      expect(await caught(new StreamReader().readuntil(''))).toBeInstanceOf(ValueError);
      const r = fed(['lineAAA']);
      expect(str(await r.readuntil('AAA'))).toBe('lineAAA');
      r.feedData(b('lineAAAxxx'));
      expect(str(await r.readuntil('AAA'))).toBe('lineAAA');
      expect(await rest(r)).toBe('xxx');
      const chunks = fed(['QWEaa', 'XYaa', 'a']);
      expect(str(await chunks.readuntil('aaa'))).toBe('QWEaaXYaaa');
      expect(await rest(chunks)).toBe('');
    });
  });

  test('test_readuntil_eof: IncompleteReadError with the partial bytes, expected null; all consumed', async () => {
    await run(async () => {
      const r = fed(['some dataAA'], { eof: true });
      const e = (await caught(r.readuntil('AAA'))) as IncompleteReadError;
      expect(e).toBeInstanceOf(IncompleteReadError);
      expect([str(e.partial), e.expected, e.message]).toEqual([
        'some dataAA',
        null,
        '11 bytes read on a total of undefined expected bytes',
      ]);
      expect(r.atEof()).toBe(true);
    });
  });

  test('test_readuntil_limit_found_sep: LimitOverrunError keeps the data; consumed as CPython counts it', async () => {
    await run(async () => {
      const r = fed(['some dataAA'], { limit: 3 });
      const e1 = (await caught(r.readuntil('AAA'))) as LimitOverrunError;
      expect(e1).toBeInstanceOf(LimitOverrunError);
      // The separator (3 bytes) could still start at 9: the first 9 bytes cannot hold it.
      expect([e1.message, e1.consumed]).toEqual([
        'Separator is not found, and chunk exceed the limit',
        9,
      ]);
      r.feedData(b('A'));
      const e2 = (await caught(r.readuntil('AAA'))) as LimitOverrunError;
      expect([e2.message, e2.consumed]).toEqual([
        'Separator is found, but chunk is longer than limit',
        9,
      ]);
      expect(str(await r.read(100))).toBe('some dataAAA');
    });
  });

  test('a multi-byte separator: the limit counts where it could start, not the bytes buffered', async () => {
    await run(async () => {
      const r = fed(['abcd'], { limit: 3 });
      const t = createTask(() => r.readuntil('\r\n'));
      await sleep(0);
      expect(t.done()).toBe(false); // "\r\n" could still start at 3, within the limit
      r.feedData(b('\r'));
      const e = (await caught(t)) as LimitOverrunError;
      expect([e.name, e.consumed]).toEqual(['LimitOverrunError', 4]);
      const six = fed(['abcdef'], { limit: 3 });
      expect(((await caught(six.readuntil('\r\n'))) as LimitOverrunError).consumed).toBe(5);
    });
  });

  test('test_readuntil_multi_separator (3.13): several separators; the match that ends first wins', async () => {
    await run(async () => {
      const r = fed(['line1\nline2\rline3\r\n']);
      expect(
        [
          await r.readuntil(['\n', '\r']),
          await r.readuntil(['\r', '\n']),
          await r.readuntil(['\r\n', '\n']),
        ].map(str),
      ).toEqual(['line1\n', 'line2\r', 'line3\r\n']);
      expect(str(await fed(['ab\r\ncd']).readuntil(['\n', '\r\n']))).toBe('ab\r\n');
      expect(str(await fed(['xAAyB']).readuntil([b('B'), b('AA')]))).toBe('xAA');
      for (const seps of [[], [''], ['a', '']])
        expect(await caught(new StreamReader().readuntil(seps))).toBeInstanceOf(ValueError);
      const limited = fed(['some dataA'], { limit: 3 });
      const e1 = (await caught(limited.readuntil(['A', 'ome dataA']))) as LimitOverrunError;
      expect([e1.message, e1.consumed]).toEqual([
        'Separator is found, but chunk is longer than limit',
        9,
      ]);
      const notFound = fed(['some dataAA'], { limit: 3 });
      // The longest separator decides where a match could still start.
      expect(
        ((await caught(notFound.readuntil(['AAA', 'AAAA']))) as LimitOverrunError).consumed,
      ).toBe(8);
      const e2 = (await caught(
        fed(['ab'], { eof: true }).readuntil(['x', 'yz']),
      )) as IncompleteReadError;
      expect([str(e2.partial), e2.expected]).toEqual(['ab', null]);
    });
  });

  test('test_readuntil_multi_separator_negative_offset / test_readline_nolimit_nowait', async () => {
    await run(async () => {
      // Enough for the short separator, not the long one: the search must still start at 0.
      const r = fed(['data']);
      const t = createTask(() => r.readuntil(['A', 'long sep']));
      getRunningLoop().callSoon(() => r.feedData(b('Z')));
      getRunningLoop().callSoon(() => r.feedData(b('Aaaa')));
      expect(str(await t)).toBe('dataZA');
      expect(await rest(r)).toBe('aaa');
      const lines = fed(['line1\nl', 'ine2\nline3\n']);
      expect(str(await lines.readline())).toBe('line1\n');
      expect(await rest(lines)).toBe('line2\nline3\n');
    });
  });

  test('test_readexactly_zero_or_less / test_readexactly / test_readexactly_limit', async () => {
    await run(async () => {
      const r = fed(['data']);
      expect(str(await r.readexactly(0))).toBe('');
      expect(await caught(r.readexactly(-1))).toBeInstanceOf(ValueError);
      expect(await rest(r)).toBe('data');
      const w = new StreamReader();
      const t = createTask(() => w.readexactly(10));
      await sleep(0);
      w.feedData(b('chunk'));
      await sleep(0);
      w.feedData(b('chunk'));
      w.feedData(b('chunk'));
      expect(str(await t)).toBe('chunkchunk');
      expect(await rest(w)).toBe('chunk');
      expect(str(await fed(['chunkchunk'], { limit: 3 }).readexactly(10))).toBe('chunkchunk');
    });
  });

  test('test_readexactly_eof / exception: IncompleteReadError with partial and expected', async () => {
    await run(async () => {
      const r = new StreamReader();
      const t = createTask(() => r.readexactly(10));
      await sleep(0);
      r.feedData(b('chunk'));
      r.feedEof();
      const e = (await caught(t)) as IncompleteReadError;
      expect([str(e.partial), e.expected, e.message]).toEqual([
        'chunk',
        10,
        '5 bytes read on a total of 10 expected bytes',
      ]);
      expect(r.atEof()).toBe(true);
      const atEof = (await caught(fed([], { eof: true }).readexactly(1))) as IncompleteReadError;
      expect([str(atEof.partial), atEof.expected]).toEqual(['', 1]);
      const failing = fed(['line\n']);
      expect(str(await failing.readexactly(2))).toBe('li');
      failing.setException(new ValueError('x'));
      expect(await caught(failing.readexactly(2))).toBeInstanceOf(ValueError);
    });
  });

  test('test_exception / test_exception_waiter / test_exception_cancel', async () => {
    await run(async () => {
      const r = new StreamReader();
      expect(r.exception()).toBeNull();
      const err = new ValueError('x');
      r.setException(err);
      expect(r.exception()).toBe(err);

      const waiting = new StreamReader();
      const t = createTask(() => waiting.readline());
      await sleep(0);
      waiting.setException(new ValueError('y'));
      expect(await caught(t)).toBeInstanceOf(ValueError);

      // A cancelled read leaves no waiter behind: a later exception reaches no one, and the
      // next read sees it.
      const cancelled = new StreamReader();
      const t2 = createTask(() => cancelled.read());
      await sleep(0);
      t2.cancel();
      await sleep(0);
      cancelled.setException(new RuntimeError('z'));
      await sleep(0);
      expect(t2.cancelled()).toBe(true);
      expect(await caught(cancelled.read(1))).toBeInstanceOf(RuntimeError);
    });
  });

  test('test_at_eof: only once EOF is fed and the buffer is empty', async () => {
    await run(async () => {
      const r = new StreamReader();
      const seen = [r.atEof()];
      r.feedData(b('some data\n'));
      seen.push(r.atEof());
      await r.readline();
      seen.push(r.atEof());
      r.feedData(b('some data\n'));
      r.feedEof();
      await r.readline();
      seen.push(r.atEof());
      expect(seen).toEqual([false, false, false, true]);
    });
  });

  test('feedData after feedEof is refused', () => {
    const r = fed([], { eof: true });
    expect(() => r.feedData(b('x'))).toThrow(RuntimeError);
  });

  test('a second read while one waits is a RuntimeError', async () => {
    await run(async () => {
      const r = new StreamReader();
      const t = createTask(() => r.read(1));
      await sleep(0);
      const e = await caught(r.readline());
      expect(e).toBeInstanceOf(RuntimeError);
      expect((e as Error).message).toMatch(/^readuntil\(\) called while another/);
      t.cancel();
      await caught(t);
    });
  });

  test('iteration gives lines until EOF, the last one partial', async () => {
    await run(async () => {
      const got: string[] = [];
      for await (const line of fed(['a\nb\nc'], { eof: true })) got.push(str(line));
      expect(got).toEqual(['a\n', 'b\n', 'c']);
    });
  });

  test('test___repr__: what the reader holds, as CPython shows it', async () => {
    await run(async () => {
      expect([String(new StreamReader()), String(new StreamReader(123))]).toEqual([
        '<StreamReader>',
        '<StreamReader limit=123>',
      ]);
      expect(String(fed([], { eof: true }))).toBe('<StreamReader eof>');
      expect(String(fed(['data']))).toBe('<StreamReader 4 bytes>');
      const failed = new StreamReader();
      failed.setException(new RuntimeError('x'));
      expect(String(failed)).toBe('<StreamReader exception=RuntimeError: x>');
      const waiting = new StreamReader();
      const t = createTask(() => waiting.read());
      await sleep(0);
      expect(String(waiting)).toBe('<StreamReader waiter>');
      t.cancel();
      await caught(t);
    });
  });
});
