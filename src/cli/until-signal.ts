import { untilStopped, type StopReason } from '../app/shutdown.ts';

/** Resolves on the first SIGINT, SIGTERM, SIGHUP or when the parent process exits: how long-running commands wait to be stopped. */
export function untilSignal(): Promise<StopReason> {
  return untilStopped();
}
