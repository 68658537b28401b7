/**
 * The guard: a tiny parent for one emulator process, so that the emulator can never outlive the
 * program that started it.
 *
 * The launcher spawns this script as the leader of a new process group and keeps a pipe to its
 * stdin. The guard starts the emulator in the same group and kills the whole group when
 *  - the pipe closes (the launcher exited, even by SIGKILL, which runs no handler), or
 *  - its original parent disappears (checked every half second, a second line of defence), or
 *  - it receives SIGTERM/SIGINT (the launcher's stop()).
 * When the emulator exits by itself the guard exits with its code, so the launcher sees the death.
 *
 * Usage: node --import tsx guard.ts '<json GuardSpec>'
 */
import { spawn } from 'node:child_process';

export interface GuardSpec {
  readonly command: string;
  readonly args: readonly string[];
  readonly cwd: string;
}

const GRACE_MS = 3000;
const PARENT_CHECK_MS = 500;

function main(): void {
  const spec = JSON.parse(process.argv[2] ?? '') as GuardSpec;
  const originalParent = process.ppid;
  const child = spawn(spec.command, [...spec.args], { cwd: spec.cwd, stdio: ['ignore', 'inherit', 'inherit'] });
  let stopping = false;

  const killGroup = (): void => {
    try {
      // Negative pid: the whole group (this guard, the emulator and anything the emulator forked).
      process.kill(-process.pid, 'SIGKILL');
    } catch {
      process.exit(1);
    }
  };
  const shutdown = (reason: string): void => {
    if (stopping) return;
    stopping = true;
    process.stderr.write(`[guard] stopping emulator: ${reason}\n`);
    child.kill('SIGTERM');
    setTimeout(killGroup, GRACE_MS).unref();
  };

  child.on('exit', (code, signal) => {
    if (!stopping) process.stderr.write(`[guard] emulator exited by itself (code ${code}, signal ${signal})\n`);
    // Anything the emulator left in the group goes too; our exit code tells the launcher what happened.
    process.exitCode = code ?? 1;
    if (stopping) killGroup();
    else process.exit();
  });
  child.on('error', (error) => {
    process.stderr.write(`[guard] could not start ${spec.command}: ${error.message}\n`);
    process.exit(127);
  });

  process.stdin.on('end', () => shutdown('launcher pipe closed'));
  process.stdin.on('error', () => shutdown('launcher pipe broken'));
  process.stdin.resume();
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
  const parentCheck = setInterval(() => {
    if (process.ppid !== originalParent) shutdown(`launcher ${originalParent} is gone`);
  }, PARENT_CHECK_MS);
  parentCheck.unref();
}

main();
