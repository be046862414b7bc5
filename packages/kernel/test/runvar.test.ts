// RunVar: one value per run, as trio.lowlevel.RunVar (outcomes checked against trio 0.22).
import {
  LookupError,
  RunVar,
  RunVarToken,
  RuntimeError,
  ValueError,
  openNursery,
  run,
  sleep,
} from '@duet/kernel';

test('outside a run, get and set are a RuntimeError', () => {
  const v = new RunVar<number>('v', 1);
  expect(() => v.get()).toThrow(RuntimeError);
  expect(() => v.set(2)).toThrow(RuntimeError);
});

test('get: the run value, else the fallback, else the default, else LookupError', async () => {
  const v = new RunVar<number>('v');
  const w = new RunVar<number>('w', 5);
  await run(async () => {
    expect(() => v.get()).toThrow(LookupError);
    expect(() => v.get()).toThrow('RunVar(v) has no value in this run, and no default');
    expect(v.get(7)).toBe(7);
    expect(w.get()).toBe(5);
    expect(w.get(9)).toBe(9);
    v.set(1);
    expect(v.get(7)).toBe(1);
  });
});

test('reset puts back what set replaced, and a token works once and only for its variable', async () => {
  const v = new RunVar<number>('v');
  const w = new RunVar<number>('w', 5);
  await run(async () => {
    const first = v.set(1);
    const second = v.set(2);
    expect(second).toBeInstanceOf(RunVarToken);
    expect(v.get()).toBe(2);
    v.reset(second);
    expect(v.get()).toBe(1);
    expect(() => v.reset(second)).toThrow(ValueError);
    expect(() => v.reset(second)).toThrow('the token has already been used');
    expect(() => w.reset(first as never)).toThrow("the token is not one of this variable's");
    v.reset(first);
    expect(() => v.get()).toThrow(LookupError); // no value again, as before the first set
    w.reset(w.set(6));
    expect(w.get()).toBe(5);
  });
});

test('each run has its own value, shared by all its tasks; a new run starts from the default', async () => {
  const v = new RunVar<string>('v', 'default');
  const seen: string[] = [];
  const one = run(async () => {
    v.set('one');
    await openNursery(async (n) => {
      n.startSoon(async () => {
        await sleep(0.01);
        seen.push(`child of one: ${v.get()}`);
      });
    });
  });
  const two = run(async () => {
    await sleep(0.005);
    seen.push(`two: ${v.get()}`);
    v.set('two');
  });
  await Promise.all([one, two]);
  expect(seen.sort()).toEqual(['child of one: one', 'two: default']);
  await run(async () => {
    expect(v.get()).toBe('default');
  });
});
