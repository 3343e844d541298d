"""A small closed-loop HTTP load generator: threads, http.client, keep-alive.

Each client is one thread with its own connection (reopened by http.client whenever the
server closes it, as gunicorn's sync worker does after every response). A client sends
its next request as soon as the previous answer has been read: no think time, so the
concurrency is exactly the number of clients. Everything runs on 127.0.0.1 and stops
by itself after the warm-up plus the measured duration.
"""

from __future__ import annotations

import http.client
import math
import os
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

HOST = "127.0.0.1"
#: Other processes using more than this many cores during a measurement disturb it.
BUSY_CORES = 0.2


def _process_ticks(pid: int) -> tuple[int, int]:
    """(parent pid, user + system clock ticks) of a process, or (-1, 0) if it has gone."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return -1, 0
    return int(fields[1]), int(fields[11]) + int(fields[12])


def _tree_ticks(root: int) -> int:
    """Clock ticks used so far by ``root`` and every process below it."""
    parents: dict[int, int] = {}
    ticks: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            parent, used = _process_ticks(int(entry.name))
            parents[int(entry.name)], ticks[int(entry.name)] = parent, used
    tree = {root}
    grew = True
    while grew:
        below = {pid for pid, parent in parents.items() if parent in tree} - tree
        tree |= below
        grew = bool(below)
    return sum(ticks.get(pid, 0) for pid in tree)


@dataclass(frozen=True)
class CpuSample:
    """Where the machine's CPU went: every core, the server's processes, this process."""

    machine: int
    server: int
    here: int
    at: float

    @classmethod
    def take(cls, server_pid: int | None) -> CpuSample | None:
        try:
            fields = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
        except (OSError, ValueError):
            return None
        # user nice system idle iowait irq softirq steal (guest time is already in user)
        busy = sum(fields[:8]) - fields[3] - fields[4]
        return cls(busy, _tree_ticks(server_pid) if server_pid else 0,
                   _process_ticks(os.getpid())[1], time.perf_counter())

    def until(self, later: CpuSample) -> tuple[str, float]:
        """Cores used on average between two samples, by whom; and by anything else."""
        seconds = (later.at - self.at) * os.sysconf("SC_CLK_TCK")
        machine = (later.machine - self.machine) / seconds
        server = (later.server - self.server) / seconds
        here = (later.here - self.here) / seconds
        others = max(0.0, machine - server - here)
        return (f"CPU in cores of {os.cpu_count()}: server {server:.2f}, load generator "
                f"{here:.2f}, anything else {others:.2f}"), others


@dataclass(frozen=True)
class Request:
    method: str
    path: str
    body: bytes | None = None
    headers: dict[str, str] = field(default_factory=dict)


class Client(Protocol):
    def next_request(self, number: int) -> Request:
        """The request to send ``number``-th (0-based) by this client."""

    def check(self, status: int, headers: http.client.HTTPMessage, body: bytes) -> str | None:
        """None if the response is what it should be, else a short description of the error."""


@dataclass
class LoadResult:
    clients: int
    seconds: float
    warmup: float
    #: Seconds per request that started inside the measured window and succeeded.
    latencies: list[float]
    #: The same, client by client (in the order the clients were given).
    by_client: list[list[float]]
    #: Failed requests (wrong status or body, or a connection error) in the measured window.
    errors: int
    error_kinds: Counter[str]
    #: Failed requests during the warm-up (not measured, but reported).
    warmup_errors: Counter[str]
    #: Requests sent in all, warm-up included.
    sent: int
    #: Where the machine's CPU went during the measured window (empty without /proc).
    cpu: str = ""
    #: Cores other processes used meanwhile: more than a little makes the figures unreliable.
    others: float = 0.0

    @property
    def disturbed(self) -> bool:
        return self.others > BUSY_CORES

    @property
    def rate(self) -> float:
        return len(self.latencies) / self.seconds

    def percentile(self, p: float, clients: list[int] | None = None) -> float:
        """The p-th percentile latency of every client's requests, or of some clients'."""
        chosen = self.latencies if clients is None else [
            latency for index in clients for latency in self.by_client[index]]
        ordered = sorted(chosen)
        if not ordered:
            return math.nan
        return ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)]

    def ms(self, p: float, clients: list[int] | None = None) -> str:
        return f"{self.percentile(p, clients) * 1000:.1f} ms"

    def error_summary(self) -> str:
        def kinds(counter: Counter[str]) -> str:
            return ", ".join(f"{kind} ×{count}" for kind, count in counter.most_common(3))

        summary = f"{self.errors} errors ({kinds(self.error_kinds)})" if self.errors \
            else "0 errors"
        if self.warmup_errors:
            summary += (f" + {sum(self.warmup_errors.values())} in warm-up "
                        f"({kinds(self.warmup_errors)})")
        return summary


def run_load(port: int, clients: list[Client], *, duration: float, warmup: float = 2.0,
             server_pid: int | None = None) -> LoadResult:
    """Run every client at once for ``warmup + duration`` seconds; measure the last part."""
    lock = threading.Lock()
    by_client: list[list[float]] = [[] for _ in clients]
    errors: Counter[str] = Counter()
    warmup_errors: Counter[str] = Counter()
    sent = 0
    barrier = threading.Barrier(len(clients) + 1)
    window: dict[str, float] = {}

    def work(index: int, client: Client) -> None:
        nonlocal sent
        mine = by_client[index]
        failures: Counter[str] = Counter()
        early: Counter[str] = Counter()
        count = 0
        connection = http.client.HTTPConnection(HOST, port, timeout=60)
        barrier.wait()
        start, end = window["start"], window["end"]
        while True:
            began = time.perf_counter()
            if began >= end:
                break
            request = client.next_request(count)
            count += 1
            try:
                connection.request(request.method, request.path, body=request.body,
                                   headers=request.headers)
                response = connection.getresponse()
                body = response.read()
                problem = client.check(response.status, response.msg, body)
            except (OSError, http.client.HTTPException) as exc:
                connection.close()
                problem = type(exc).__name__
            finished = time.perf_counter()
            if problem is not None:
                (failures if began >= start else early)[problem] += 1
            elif began >= start:
                mine.append(finished - began)
        connection.close()
        with lock:
            errors.update(failures)
            warmup_errors.update(early)
            sent += count

    threads = [threading.Thread(target=work, args=(index, client), daemon=True)
               for index, client in enumerate(clients)]
    for thread in threads:
        thread.start()
    now = time.perf_counter()
    window["start"] = now + warmup
    window["end"] = now + warmup + duration
    barrier.wait()
    time.sleep(max(0.0, window["start"] - time.perf_counter()))
    first = CpuSample.take(server_pid)
    time.sleep(max(0.0, window["end"] - time.perf_counter()))
    last = CpuSample.take(server_pid)
    for thread in threads:
        thread.join()
    latencies = [latency for mine in by_client for latency in mine]
    return LoadResult(clients=len(clients), seconds=duration, warmup=warmup, latencies=latencies,
                      by_client=by_client,
                      errors=sum(errors.values()), error_kinds=errors,
                      warmup_errors=warmup_errors, sent=sent,
                      **(dict(zip(("cpu", "others"), first.until(last), strict=True))
                         if first and last else {}))
