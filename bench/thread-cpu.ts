/**
 * CPU time of the calling thread (Linux /proc/thread-self/stat: utime + stime, in clock ticks of
 * 10 ms), for the benchmark servers that run on a thread of their own: on a shared machine a
 * server thread's CPU per call varies far less than the wall-clock rate, which counts the time
 * the thread waited for a core.
 */
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import type { Worker } from 'node:worker_threads';

/** USER_HZ: the unit of the stat file's times (100 on Linux for every architecture Node runs on). */
const ticksPerSecond = 100;

/** The thread's CPU time in ms, or undefined where /proc/thread-self is missing (not Linux). */
export function threadCpuMs(): number | undefined {
  let stat: string;
  try {
    stat = readFileSync('/proc/thread-self/stat', 'utf8');
  } catch {
    return undefined;
  }
  // proc(5): fields after the parenthesised command name; utime and stime are fields 14 and 15.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const utime = Number(fields[11]);
  const stime = Number(fields[12]);
  return Number.isFinite(utime) && Number.isFinite(stime) ? ((utime + stime) * 1000) / ticksPerSecond : undefined;
}

/** Asks a bench server's thread for its threadCpuMs (it answers the message 'cpu' with `{ cpuMs }`). */
export function askCpu(worker: Worker): Promise<number | undefined> {
  return new Promise((resolve) => {
    const answer = (m: unknown): void => {
      if (typeof m !== 'object' || m === null || !('cpuMs' in m)) return;
      worker.off('message', answer);
      resolve((m as { cpuMs: number | undefined }).cpuMs);
    };
    worker.on('message', answer);
    worker.postMessage('cpu');
  });
}

/** The calling thread's id (Linux: /proc/thread-self links to PID/task/TID), or undefined. */
export function threadId(): number | undefined {
  try {
    return Number(readlinkSync('/proc/thread-self').split('/').at(-1));
  } catch {
    return undefined;
  }
}

/**
 * CPU time in ms of every thread of this process by thread id (main, workers, libuv and V8
 * helper threads), or an empty map off Linux: differences over a phase give its split by thread.
 */
export function processThreadsCpuMs(): Map<number, number> {
  const out = new Map<number, number>();
  let tids: string[];
  try {
    tids = readdirSync('/proc/self/task');
  } catch {
    return out;
  }
  for (const tid of tids) {
    try {
      const stat = readFileSync(`/proc/self/task/${tid}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      out.set(Number(tid), ((Number(fields[11]) + Number(fields[12])) * 1000) / ticksPerSecond);
    } catch {
      // The thread ended meanwhile.
    }
  }
  return out;
}
