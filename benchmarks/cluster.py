"""The council's production set-up under children's load: two app servers behind nginx
(TLS) and one PostgreSQL, as ``deploy/`` installs them, through a server dying, last
night's backup, and a rolling upgrade to a build with a new migration.

The same rehearsal as ``tests/deploy/test_cluster.py`` (``tests/deploy/cluster.py``), with
more children for longer; each save's latency is measured by the child's own client
(through nginx, TLS included). Needs nginx (Debian's) and PostgreSQL.
"""

from __future__ import annotations

import math
import os
import time
from pathlib import Path

from benchmarks.load import CpuSample
from tests.deploy.cluster import (
    Rehearsal,
    answers_by_save_id,
    database,
    lost_or_doubled,
    nginx_binary,
    not_as_backed_up,
    rehearse,
    restore,
)

#: Seconds nginx may take to stop sending to a dead server (its fail_timeout).
NOTICE = 10.0


def _latency(timings: list[tuple[float, float, bool]]) -> str:
    ordered = sorted(seconds for _, seconds, saved in timings if saved)
    if not ordered:
        return "-"

    def at(p: float) -> str:
        return f"{ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)] * 1000:.0f} ms"

    return f"p50 {at(50)}, p95 {at(95)}, p99 {at(99)}, slowest {ordered[-1] * 1000:.0f} ms"


def _rate(timings: list[tuple[float, float, bool]], start: float, end: float) -> str:
    saved = sum(1 for _, _, ok in timings if ok)
    return f"{saved / max(end - start, 1e-9):.0f} saves/s"


def _failed(run: Rehearsal, start: float, end: float) -> str:
    failures = run.failures(start, end)
    kinds = sorted({failure.kind for failure in failures})
    return f"{len(failures)} failed requests" + (f" ({', '.join(kinds)})" if kinds else "")


def bench_cluster(server: str | None, scratch: Path, *, children: int, pause: float,
                  steady: float) -> list[list[str]]:
    if nginx_binary() is None or server is None:
        missing = "nginx" if nginx_binary() is None else "PostgreSQL"
        return [["two app servers behind nginx", "postgresql", "-", "-", "-", "-",
                 f"not run: {missing} is not installed"]]
    size = f"{children} children, a save every {pause:g} s each"
    with database(server) as db:
        before = CpuSample.take(None)
        run = rehearse(db, scratch / "cluster", children, pause=pause, notice=NOTICE,
                       steady=steady)
        after = CpuSample.take(None)
        cpu = ""
        if before and after:
            ticks = (after.at - before.at) * os.sysconf("SC_CLK_TCK")
            cpu = (f"the machine's CPU busy {(after.machine - before.machine) / ticks:.2f} "
                   f"cores of {os.cpu_count()} on average (servers, nginx, PostgreSQL and "
                   "the children's clients)")
        problems = lost_or_doubled(run.crowd.children, answers_by_save_id(db.url(db.migrator)))
        assert run.dump is not None
        restore_started = time.perf_counter()
        restored = restore(db, run.dump)
        restore_seconds = time.perf_counter() - restore_started
        wrong_in_backup = not_as_backed_up(
            run.crowd.children, answers_by_save_id(db.url(db.migrator, restored)),
            run.backup_started, run.backup_finished)

    steady_timings = run.timings(run.started, run.killed_at)
    crash = run.timings(run.killed_at, run.killed_at + NOTICE)
    upgrade = run.timings(run.upgrade_started, run.upgrade_finished)
    after_upgrade = run.timings(run.upgrade_finished, run.finished)
    crash_failures = run.failures(run.killed_at, run.killed_at + NOTICE)
    outside = [failure for failure in run.crowd.failures() if failure not in crash_failures]
    saves = run.crowd.saves()
    return [
        ["two app servers behind nginx: answer saves (`POST /answers` over TLS)",
         "postgresql", f"{size}, {run.killed_at - run.started:.0f} s", _latency(steady_timings),
         _rate(steady_timings, run.started, run.killed_at), "-",
         f"gunicorn sync ×2 per server; {len(steady_timings)} saves; {cpu}"],
        ["one app server killed (`kill -9`) and started again 4 s later", "postgresql",
         f"{size}, {NOTICE:g} s from the kill", _latency(crash),
         _rate(crash, run.killed_at, run.killed_at + NOTICE),
         "errors only while nginx notices: " + ("met" if not outside else "not met"),
         f"{_failed(run, run.killed_at, run.killed_at + NOTICE)}, each saved on retry; "
         f"{len(outside)} failed requests at any other time"],
        ["last night's backup (`backup.sh`) while children answer", "postgresql", size,
         f"{run.backup_finished - run.backup_started:.1f} s", "-", "-",
         f"restored with pg_restore in {restore_seconds:.1f} s; "
         + ("equal to the original at the backup's moment" if not wrong_in_backup
            else f"{len(wrong_in_backup)} differences: {wrong_in_backup[:3]}")],
        ["rolling upgrade to a build with a new migration", "postgresql",
         f"{size}, {run.upgrade_finished - run.upgrade_started:.0f} s", _latency(upgrade),
         _rate(upgrade, run.upgrade_started, run.upgrade_finished),
         "0 failed requests: " + ("met" if not run.failures(run.upgrade_started,
                                                             run.finished) else "not met"),
         f"{_failed(run, run.upgrade_started, run.upgrade_finished)}; migration while the "
         f"old build served, then each server drained, restarted and put back; after it: "
         f"{_latency(after_upgrade)}"],
        ["answers lost or doubled, the whole run", "postgresql", size, "-", "-",
         "0: " + ("met" if not problems else "not met"),
         f"{saves} saves acknowledged, {run.crowd.requests()} requests, "
         f"{run.crowd.resent()} sent again on a new connection after nginx closed an idle "
         f"one; {len(problems)} problems" + (f": {problems[:3]}" if problems else "")],
    ]
