// Every public name of trio 0.22 (trio, trio.testing, trio.lowlevel, trio.to_thread) exists under
// its camelCase name in the matching Duet entry, except the ones the README's "Differences from
// Trio" list names as deliberately missing (as trio/_tests/test_exports.py checks Trio's own).
import { readFileSync } from 'node:fs';
import nodePath from 'node:path';
import * as trio from '@duet/trio';
import * as lowlevel from '@duet/trio/lowlevel';
import * as testing from '@duet/trio/testing';

// `dir(trio)` etc. of trio 0.22.2, without modules and private names, in camelCase.
const TRIO_NAMES = {
  '@duet/trio': `BrokenResourceError BusyResourceError CancelScope Cancelled CapacityLimiter
    ClosedResourceError Condition DTLSChannel DTLSEndpoint EndOfChannel Event Lock
    MemoryReceiveChannel MemorySendChannel NeedHandshakeError Nursery Path Process RunFinishedError
    SSLListener SSLStream Semaphore SocketListener SocketStream StapledStream StrictFIFOLock
    TASK_STATUS_IGNORED TooSlowError TrioDeprecationWarning TrioInternalError WouldBlock
    acloseForcefully currentEffectiveDeadline currentTime failAfter failAt moveOnAfter moveOnAt
    openFile openMemoryChannel openNursery openSignalReceiver openSslOverTcpListeners
    openSslOverTcpStream openTcpListeners openTcpStream openUnixSocket run runProcess
    serveListeners serveSslOverTcp serveTcp sleep sleepForever sleepUntil wrapFile toThread`,
  '@duet/trio/testing': `MemoryReceiveStream MemorySendStream MockClock Sequencer
    assertCheckpoints assertNoCheckpoints checkHalfCloseableStream checkOneWayStream
    checkTwoWayStream lockstepStreamOneWayPair lockstepStreamPair memoryStreamOneWayPair
    memoryStreamPair memoryStreamPump openStreamToSocketListener trioTest waitAllTasksBlocked`,
  '@duet/trio/lowlevel': `Abort FdStream ParkingLot RaiseCancelT RunVar Task TrioToken
    UnboundedQueue addInstrument cancelShieldedCheckpoint checkpoint checkpointIfCancelled
    currentClock currentRootTask currentStatistics currentTask currentTrioToken
    currentlyKiProtected disableKiProtection enableKiProtection notifyClosing openProcess
    permanentlyDetachCoroutineObject reattachDetachedCoroutineObject removeInstrument reschedule
    spawnSystemTask startGuestRun startThreadSoon temporarilyDetachCoroutineObject waitReadable
    waitTaskRescheduled waitWritable`,
};

const ENTRIES: Record<keyof typeof TRIO_NAMES, Record<string, unknown>> = {
  '@duet/trio': trio,
  '@duet/trio/testing': testing,
  '@duet/trio/lowlevel': lowlevel,
};

/** The "Differences from Trio" section of the README. */
function differences(): string {
  const readme = readFileSync(nodePath.join(__dirname, '..', 'README.md'), 'utf8');
  const start = readme.indexOf('## Differences from Trio');
  expect(start).toBeGreaterThan(0);
  const end = readme.indexOf('\n## ', start + 1);
  return readme.slice(start, end < 0 ? undefined : end);
}

test.each(Object.keys(TRIO_NAMES) as (keyof typeof TRIO_NAMES)[])(
  "%s has every trio 0.22 name, or the README's differences say why not",
  (entry) => {
    const text = differences();
    const names = TRIO_NAMES[entry].split(/\s+/).filter(Boolean);
    const missing = names.filter((name) => !(name in ENTRIES[entry]));
    const undocumented = missing.filter((name) => !text.includes(`\`${name}\``));
    expect(undocumented).toEqual([]);
    // A name documented as missing that Duet has after all: the README is out of date.
    const lacking = text
      .split('\n')
      .filter((line) => line.includes('Duet lacks'))
      .flatMap((line) => line.split('(')[0]!.match(/`\w+`/g) ?? [])
      .map((quoted) => quoted.slice(1, -1));
    expect(lacking.filter((n) => names.includes(n) && n in ENTRIES[entry])).toEqual([]);
  },
);

test('toThread has runSync and currentDefaultThreadLimiter; the names are the same objects', () => {
  expect(typeof trio.toThread.runSync).toBe('function');
  expect(trio.toThread.currentDefaultThreadLimiter).toBe(trio.currentDefaultThreadLimiter);
  // The same classes and functions from every entry that has them.
  expect(lowlevel.Task).toBe(trio.Task);
  expect(lowlevel.openProcess).toBe(trio.openProcess);
  expect(lowlevel.checkpoint).toBe(trio.checkpoint);
  expect(lowlevel.currentTask).toBe(trio.currentTask);
});
