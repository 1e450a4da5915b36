// CPU time of the emulator process, to show which side of the socket a run was bound by.
import { readFile } from 'node:fs/promises'

// Linux reports utime/stime in clock ticks; USER_HZ is 100 on every mainstream Linux build.
const TICKS_PER_SECOND = 100

/** User + system CPU seconds of process `pid` so far, or undefined where /proc is unavailable. */
export async function processCpuSeconds(pid: number | undefined): Promise<number | undefined> {
  if (pid === undefined) return undefined
  try {
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8')
    // Fields after the command name (which may hold spaces) start at field 3; utime is 14, stime 15.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    return (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND
  } catch {
    return undefined
  }
}
