"""pyrum 0.3.0 (Python, trio 0.13) side of pyrum-bench: N `host view` calls after `host start`.

Run by the pyrum-bench binary inside its venv:
    python pyrum_bench.py --rumor BIN --n N --mode all|seq
Prints one JSON line: calls, secs, p50_us, p99_us, rss_kib (VmHWM of this process), cpu_s
(CPU time of this process during the calls; Rumor, its child, is not counted), rumor_cpu_s
(CPU time of the Rumor process during the calls).

pyrum 0.3.0 sends every call as `_py_N ACTOR: lvl_trace CMD &` and completes a call on the
`__success` / `__freed` markers, which Rumor v0.3.6 logs only at trace level: Rumor must run as
`rumor bare --level=trace` (SubprocessConn's default command is plain `rumor bare`).
"""

import argparse
import json
import os
import resource
import shlex
import signal
import sys
import time

import trio
from pyrum import Rumor, SubprocessConn


def peak_rss_kib():
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    return 0


def cpu_seconds():
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def descendants_cpu_seconds():
    """CPU time of this process' running descendants (Rumor, under /bin/sh), from /proc."""
    def children(pid):
        out = []
        try:
            for task in os.listdir(f"/proc/{pid}/task"):
                with open(f"/proc/{pid}/task/{task}/children") as f:
                    out += f.read().split()
        except OSError:
            pass
        return out

    total, todo = 0, children("self")
    while todo:
        pid = todo.pop()
        try:
            with open(f"/proc/{pid}/stat") as f:
                rest = f.read().rsplit(") ", 1)[1].split()
            total += int(rest[11]) + int(rest[12])
        except (OSError, IndexError, ValueError):
            pass
        todo += children(pid)
    return total / os.sysconf("SC_CLK_TCK")


def pct(sorted_us, q):
    if not sorted_us:
        return 0.0
    rank = min(max(int(-(-q * len(sorted_us) // 1)), 1), len(sorted_us))
    return sorted_us[rank - 1]


async def bench(rumor_bin, n, mode):
    cmd = shlex.quote(rumor_bin) + " bare --level=trace"
    async with SubprocessConn(cmd=cmd) as conn:
        async with trio.open_nursery() as nursery:
            rumor = Rumor(conn, nursery)
            alice = rumor.actor("alice")
            await alice.host.start()
            me = (await alice.host.view())["peer_id"]
            latencies = []
            clock = time.perf_counter
            cpu = cpu_seconds()
            rumor_cpu = descendants_cpu_seconds()
            start = clock()
            if mode == "all":
                # Every call is issued at once (make_call is synchronous: it registers the call
                # and schedules the line), then each result is awaited in its own task.
                async def wait(sent, call):
                    data = await call
                    latencies.append(clock() - sent)
                    assert data["peer_id"] == me, "a result of another actor"

                async with trio.open_nursery() as waiters:
                    for _ in range(n):
                        sent = clock()
                        waiters.start_soon(wait, sent, alice.host.view())
            else:
                for _ in range(n):
                    sent = clock()
                    data = await alice.host.view()
                    latencies.append(clock() - sent)
                    assert data["peer_id"] == me, "a result of another actor"
            elapsed = clock() - start
            cpu = cpu_seconds() - cpu
            rumor_cpu = descendants_cpu_seconds() - rumor_cpu
            nursery.cancel_scope.cancel()
    us = sorted(x * 1e6 for x in latencies)
    return {
        "calls": len(us),
        "secs": elapsed,
        "p50_us": pct(us, 0.50),
        "p99_us": pct(us, 0.99),
        "rss_kib": peak_rss_kib(),
        "cpu_s": cpu,
        "rumor_cpu_s": rumor_cpu,
    }


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--rumor", required=True)
    p.add_argument("--n", type=int, required=True)
    p.add_argument("--mode", choices=["all", "seq"], required=True)
    p.add_argument("--limit", type=int, default=900, help="seconds before giving up")
    a = p.parse_args()
    signal.alarm(a.limit)
    result = trio.run(bench, a.rumor, a.n, a.mode)
    print(json.dumps(result))
    sys.stdout.flush()


if __name__ == "__main__":
    main()
