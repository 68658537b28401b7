/** Whether a process (or, with a negative pid, any process of a group) exists: kill -0. */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
