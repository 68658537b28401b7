/**
 * One producer per spool directory: a lock file naming the owning process. A lock left by a process
 * that is gone (a crash, SIGKILL) is taken over at once, without waiting for a staleness timeout, since
 * the owner's liveness can be asked directly on one host. Creation is atomic (link(2) fails if the lock
 * exists), so two producers starting together cannot both win.
 */
import { linkSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { SpoolLockedError } from '../errors';

const LOCK_FILE = 'spool.lock';

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it exists but belongs to someone else.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Takes the directory's lock (or a dead owner's); returns its release. Throws SpoolLockedError if a live process holds it. */
export function lockSpool(directory: string): () => void {
  const lock = join(directory, LOCK_FILE);
  const candidate = join(directory, `${LOCK_FILE}.${process.pid}`);
  writeFileSync(candidate, String(process.pid));
  try {
    for (let attempt = 0; attempt < 3; attempt++) {
      try {
        linkSync(candidate, lock);
        return () => {
          try {
            unlinkSync(lock);
          } catch {
            // Already gone: nothing to release.
          }
        };
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      }
      const owner = Number(readFileSync(lock, 'utf8').trim());
      if (Number.isInteger(owner) && owner > 0 && isAlive(owner)) throw new SpoolLockedError(directory, owner);
      // The owner is gone. Two producers taking over the same dead lock at the same instant could both
      // succeed here; one producer per directory is the deployment's rule, the lock only guards mistakes.
      unlinkSync(lock);
    }
    throw new SpoolLockedError(directory, -1);
  } finally {
    unlinkSync(candidate);
  }
}
