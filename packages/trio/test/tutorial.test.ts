/**
 * Programs from Trio's tutorial and docs (nursery, timeouts, channels), ported line by line. The
 * expected logs were recorded by running the Python originals on Trio with
 * `MockClock(autojump_threshold=0)`; where Trio's scheduling order between simultaneous tasks is
 * random, the test compares the order-free part.
 */
import {
  TooSlowError,
  currentTime,
  failAfter,
  moveOnAfter,
  openMemoryChannel,
  openNursery,
  sleep,
  type MemoryReceiveChannel,
  type MemorySendChannel,
} from '@duet/trio';
import { trioTest } from '@duet/trio/testing';

test(
  'tutorial: parent and two children in a nursery',
  trioTest(async () => {
    const log: string[] = [];
    async function child1() {
      log.push('  child1: started! sleeping now...');
      await sleep(1);
      log.push('  child1: exiting!');
    }
    async function child2() {
      log.push('  child2: started! sleeping now...');
      await sleep(1);
      log.push('  child2: exiting!');
    }
    async function parent() {
      log.push('parent: started!');
      await openNursery(async (nursery) => {
        log.push('parent: spawning child1...');
        nursery.startSoon(child1);
        log.push('parent: spawning child2...');
        nursery.startSoon(child2);
        log.push('parent: waiting for children to finish...');
        // -- we exit the nursery block here --
      });
      log.push('parent: all done!');
    }
    await parent();
    expect(log.slice(0, 4)).toEqual([
      'parent: started!',
      'parent: spawning child1...',
      'parent: spawning child2...',
      'parent: waiting for children to finish...',
    ]);
    // Trio shuffles simultaneous tasks; Duet runs them in FIFO order. Same set, same phases.
    expect(log.slice(4, 6).sort()).toEqual([
      '  child1: started! sleeping now...',
      '  child2: started! sleeping now...',
    ]);
    expect(log.slice(6, 8).sort()).toEqual(['  child1: exiting!', '  child2: exiting!']);
    expect(log[8]).toBe('parent: all done!');
    expect(currentTime()).toBe(1);
  }),
);

test(
  'docs: timeouts with moveOnAfter, failAfter and nested scopes',
  trioTest(async () => {
    const log: unknown[] = [];
    const cs = moveOnAfter(5);
    await cs.run(async () => {
      await sleep(10);
      log.push('unreachable');
    });
    log.push([currentTime(), cs.cancelledCaught]);
    try {
      await failAfter(2, async () => {
        await sleep(3);
      });
    } catch (err) {
      if (err instanceof TooSlowError) log.push(['TooSlow', currentTime()]);
    }
    const outer = moveOnAfter(1);
    const inner = moveOnAfter(3);
    await outer.run(() => inner.run(() => sleep(5)));
    log.push([currentTime(), outer.cancelledCaught, inner.cancelledCaught]);
    // Trio: [(5.0, True), ('TooSlow', 7.0), (8.0, True, False)]
    expect(log).toEqual([
      [5, true],
      ['TooSlow', 7],
      [8, true, false],
    ]);
  }),
);

test(
  'docs: producer / consumer over a rendezvous channel',
  trioTest(async () => {
    const log: string[] = [];
    async function producer(sendChannel: MemorySendChannel<string>) {
      await using channel = sendChannel;
      for (let i = 0; i < 3; i++) await channel.send(`message ${i}`);
    }
    async function consumer(receiveChannel: MemoryReceiveChannel<string>) {
      await using channel = receiveChannel;
      for await (const value of channel) log.push(`got value '${value}'`);
    }
    await openNursery(async (nursery) => {
      const [sendChannel, receiveChannel] = openMemoryChannel<string>(0);
      nursery.startSoon(producer, sendChannel);
      nursery.startSoon(consumer, receiveChannel);
    });
    expect(log).toEqual([
      "got value 'message 0'",
      "got value 'message 1'",
      "got value 'message 2'",
    ]);
  }),
);

test(
  'docs: fan-in and fan-out with cloned channels',
  trioTest(async () => {
    const log: [number, string][] = [];
    const producerPause: Record<string, number> = { A: 1, B: 1.5 };
    const consumerPause: Record<string, number> = { X: 2, Y: 3.5 };
    async function producer(name: string, sendChannel: MemorySendChannel<string>) {
      await using channel = sendChannel;
      for (let i = 0; i < 3; i++) {
        await channel.send(`${i} from producer ${name}`);
        await sleep(producerPause[name]!);
      }
    }
    async function consumer(name: string, receiveChannel: MemoryReceiveChannel<string>) {
      await using channel = receiveChannel;
      for await (const value of channel) {
        log.push([currentTime(), `consumer ${name}: received '${value}'`]);
        await sleep(consumerPause[name]!);
      }
    }
    await openNursery(async (nursery) => {
      const [sendChannel, receiveChannel] = openMemoryChannel<string>(0);
      await using _s = sendChannel;
      await using _r = receiveChannel;
      nursery.startSoon(producer, 'A', sendChannel.clone());
      nursery.startSoon(producer, 'B', sendChannel.clone());
      nursery.startSoon(consumer, 'X', receiveChannel.clone());
      nursery.startSoon(consumer, 'Y', receiveChannel.clone());
    });
    // Trio's log (the two receptions at t=0 may pair either way):
    expect(
      log
        .slice(0, 2)
        .map(([t, s]) => [t, s.replace(/consumer .: /, '')])
        .sort(),
    ).toEqual([
      [0, "received '0 from producer A'"],
      [0, "received '0 from producer B'"],
    ]);
    expect(log.slice(2)).toEqual([
      [2, "consumer X: received '1 from producer A'"],
      [3.5, "consumer Y: received '1 from producer B'"],
      [4, "consumer X: received '2 from producer A'"],
      [6, "consumer X: received '2 from producer B'"],
    ]);
    expect(currentTime()).toBe(8);
  }),
);
