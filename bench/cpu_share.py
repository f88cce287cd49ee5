#!/usr/bin/env python3
"""Where the CPU went during one benchmark row (python3 stdlib only, Linux /proc).

  cpu_share.py snap FILE SHELL_PID            record the CPU counters now
  cpu_share.py diff FILE SHELL_PID COPAY_PID  print "copay_cores other_cores" since then
  cpu_share.py wait-quiet MAX_SECS CORES      wait (at most MAX_SECS) until the whole machine
                                              uses less than CORES over 2 s; print the wait

copay_cores is the copay server's CPU time over the wall time (in cores). other_cores is
the machine's busy time that was neither copay nor the benchmark's own load: the load
generators (children of SHELL_PID that it has waited for: wrk, the seeder) and the
PostgreSQL server. It is work from elsewhere on the machine, e.g. a compile, that
competed with the measurement; on 2 cores, a row with other_cores well above 0.1
understates copay.
"""

import json
import os
import sys
import time

OURS = {"postgres"}


def busy_jiffies():
    with open("/proc/stat") as stat:
        fields = [int(x) for x in stat.readline().split()[1:]]
    user, nice, system, _idle, _iowait, irq, softirq, steal = fields[:8]
    return user + nice + system + irq + softirq + steal


def processes():
    out = {}
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            with open(f"/proc/{pid}/stat") as stat:
                text = stat.read()
        except OSError:
            continue
        comm = text[text.find("(") + 1:text.rfind(")")]
        rest = text[text.rfind(")") + 2:].split()
        # utime + stime, and cutime + cstime (waited-for children)
        out[pid] = (comm, int(rest[11]) + int(rest[12]), int(rest[13]) + int(rest[14]))
    return out


def snapshot():
    return {"time": time.time(), "busy": busy_jiffies(), "processes": processes()}


def wait_quiet(max_secs, cores):
    hz = os.sysconf("SC_CLK_TCK")
    started = time.monotonic()
    while True:
        before = busy_jiffies()
        time.sleep(2)
        busy = (busy_jiffies() - before) / hz / 2
        waited = time.monotonic() - started
        if busy < cores or waited >= max_secs:
            print(f"{waited:.0f}")
            return


def main():
    if sys.argv[1] == "wait-quiet":
        wait_quiet(float(sys.argv[2]), float(sys.argv[3]))
        return
    command, path, shell_pid = sys.argv[1], sys.argv[2], sys.argv[3]
    if command == "snap":
        with open(path, "w") as file:
            json.dump(snapshot(), file)
        return
    copay_pid = sys.argv[4]
    with open(path) as file:
        before = json.load(file)
    after = snapshot()
    hz = os.sysconf("SC_CLK_TCK")
    wall = max(after["time"] - before["time"], 1e-3)
    copay = ours = 0
    for pid, (comm, jiffies, children) in after["processes"].items():
        earlier = before["processes"].get(pid)
        same = earlier and earlier[0] == comm
        delta = jiffies - earlier[1] if same else jiffies
        if pid == shell_pid:
            ours += delta + children - (earlier[2] if same else 0)
        elif pid == copay_pid:
            copay += delta
        elif comm in OURS:
            ours += delta
    other = max(0, after["busy"] - before["busy"] - copay - ours)
    print(f"{copay / hz / wall:.2f} {other / hz / wall:.2f}")


if __name__ == "__main__":
    main()
