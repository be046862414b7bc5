/**
 * How Node prints an ExceptionGroup: `util.inspect` / `console.error`, and an uncaught one (which
 * Node prints without custom inspection). Either way the tree appears once, each member with its
 * own stack, nested groups inside their parent.
 */
import { execFile } from 'node:child_process';
import path from 'node:path';
import { inspect } from 'node:util';
import { ExceptionGroup, openNursery, run } from '@duet/kernel';

function failingHere(message: string): Error {
  return new TypeError(message);
}

function sample(): ExceptionGroup {
  const inner = new ExceptionGroup('inner', [new RangeError('deep member')]);
  const group = new ExceptionGroup('outer', [failingHere('first member'), inner]);
  group.cause = new Error('the cause');
  return group;
}

const count = (text: string, part: string) => text.split(part).length - 1;

describe('ExceptionGroup printing', () => {
  test('util.inspect shows the tree once, with the members’ own stacks and the cause', () => {
    const text = inspect(sample());
    expect(count(text, 'first member')).toBe(1);
    expect(count(text, 'deep member')).toBe(1);
    expect(text).toMatch(/at failingHere/); // the member's own frame
    expect(text).not.toMatch(/\[Array\]|exceptions:|\[errors\]/);
    expect(text.split('\n')[0]).toBe('ExceptionGroup: outer (2 sub-exceptions)');
    expect(text).toMatch(/└─ ExceptionGroup: inner \(1 sub-exception\)/);
    expect(text).toMatch(/\[cause\]: Error: the cause/);
  });

  test('the group keeps its API: exceptions, errors, an assignable stack', () => {
    const group = sample();
    expect(group.errors).toBe(group.exceptions);
    expect(Object.keys(group)).not.toContain('exceptions');
    expect(group.stack).toMatch(
      /^ExceptionGroup: outer[^\n]*\n(.|\n)*├─ TypeError: first member\n│ +at failingHere/,
    );
    group.stack = 'replaced';
    expect(group.stack).toBe('replaced');
  });

  test('a nursery’s group leaves the kernel’s frames out of its own stack', async () => {
    const err = (await run(() =>
      openNursery((n) => {
        n.startSoon(() => {
          throw failingHere('child failed');
        });
      }),
    ).then(
      () => null,
      (e: unknown) => e,
    )) as ExceptionGroup;
    const ownFrames = err.stack!.split('\n├─')[0]!.split('└─')[0]!;
    expect(ownFrames).not.toMatch(/packages\/kernel\/src/);
    expect(err.stack).toMatch(/child failed\n +at failingHere/);
  });

  test('an uncaught group prints each member once, with its stack', async () => {
    const kernel = path.resolve(__dirname, '../src/index.ts');
    const script = `const m = await import(${JSON.stringify(kernel)}); const k = m.run ? m : m.default;
      function memberFrame() { return new TypeError('member one'); }
      function second() { return new RangeError('member two'); }
      // Node 24 prints the throwing line too: keep the messages off it.
      throw new k.ExceptionGroup('boom', [memberFrame(), new k.ExceptionGroup('nested', [second()])]);`;
    const stderr = await new Promise<string>((resolve) => {
      execFile(
        process.execPath,
        ['--import', 'tsx', '--input-type=module', '-e', script],
        { timeout: 20_000 },
        (_err, _stdout, err) => resolve(err),
      );
    });
    expect(count(stderr, 'member one')).toBe(1);
    expect(count(stderr, 'member two')).toBe(1);
    expect(stderr).toMatch(/TypeError: member one\n.*at memberFrame/);
    expect(stderr).not.toMatch(/\[Array\]|exceptions:/);
  }, 30_000);
});
