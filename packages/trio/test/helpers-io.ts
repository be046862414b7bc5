/** Helpers for the I/O tests: which Node I/O handles a test left open. */
const IO_HANDLES = ['TCPSocketWrap', 'TCPServerWrap', 'ProcessWrap', 'PipeWrap', 'FileHandle'];

function ioHandles(): string[] {
  return process.getActiveResourcesInfo().filter((r) => IO_HANDLES.includes(r));
}

let before: string[] = [];

/** Records the I/O handles open before a test (Jest's own pipes, for one). */
export function recordIoHandles(): void {
  before = ioHandles();
}

/** The I/O handles opened since {@link recordIoHandles} and still open (after pending closes ran). */
export async function leakedIoHandles(): Promise<string[]> {
  for (let i = 0; i < 3; i++) await new Promise((resolve) => setImmediate(resolve));
  const left = ioHandles();
  for (const h of before) {
    const i = left.indexOf(h);
    if (i >= 0) left.splice(i, 1);
  }
  return left;
}
