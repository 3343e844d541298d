"""`make bench`: run every benchmark and write the table to benchmarks/results/latest.md.

Each benchmark is a function that returns rows for the table. Databases are created
fresh for each run: SQLite in a temporary folder, PostgreSQL from
VIEWPOINT_BENCH_POSTGRES_URL (or VIEWPOINT_TEST_POSTGRES_URL) or a throwaway cluster.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import platform
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import create_engine, make_url, text

from tests.support import throwaway_cluster
from viewpoint.config import normalise_database_url

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "benchmarks" / "results" / "latest.md"
VIEWPOINT = str(Path(sys.executable).parent / "viewpoint")


@contextlib.contextmanager
def postgres_server() -> Iterator[str | None]:
    url = os.environ.get("VIEWPOINT_BENCH_POSTGRES_URL") or os.environ.get(
        "VIEWPOINT_TEST_POSTGRES_URL")
    if url:
        yield url
        return
    with throwaway_cluster() as started:
        yield started


def new_database(backend: str, server: str | None, scratch: Path, name: str) -> str:
    if backend == "sqlite":
        return f"sqlite:///{scratch / (name + '.sqlite3')}"
    assert server is not None
    admin = create_engine(normalise_database_url(server), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return make_url(normalise_database_url(server)).set(database=name).render_as_string(
        hide_password=False)


def viewpoint(url: str, scratch: Path, *args: str) -> float:
    env = {**os.environ, "DATABASE_URL": url, "INSTANCE_PATH": str(scratch),
           "SECRET_KEY": "bench-" + "x" * 40}
    started = time.perf_counter()
    subprocess.run([VIEWPOINT, *args], env=env, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - started


def count_rows(url: str) -> dict[str, int]:
    engine = create_engine(normalise_database_url(url))
    with engine.connect() as connection:
        counts = {table: connection.execute(text(f"SELECT count(*) FROM {table}")).scalar_one()  # noqa: S608
                  for table in ("child", "response", "answer", "alert")}
    engine.dispose()
    return counts


def bench_demo(sizes: list[int], server: str | None, scratch: Path) -> list[list[str]]:
    """How long `viewpoint demo --responses N` takes to build the demo council."""
    rows = []
    for backend in ("sqlite", "postgresql"):
        if backend == "postgresql" and server is None:
            rows.append(["demo build", backend, "-", "skipped: no PostgreSQL", "", ""])
            continue
        for size in sizes:
            url = new_database(backend, server, scratch, f"bench_demo_{backend}_{size}")
            viewpoint(url, scratch, "db", "upgrade")
            seconds = viewpoint(url, scratch, "demo", "--responses", str(size))
            counts = count_rows(url)
            rows.append(["demo build", backend, f"{counts['response']:,} responses",
                         f"{seconds:.1f} s",
                         f"{(counts['response'] + counts['answer']) / seconds:,.0f} rows/s",
                         f"{counts['child']:,} children, {counts['answer']:,} answers"])
            print(" | ".join(rows[-1]), flush=True)
    return rows


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--demo-sizes", default=os.environ.get("BENCH_DEMO_SIZES", "10000,100000"),
                        help="comma-separated response counts for the demo build benchmark")
    args = parser.parse_args()
    sizes = [int(size) for size in args.demo_sizes.split(",") if size]
    rows: list[list[str]] = []
    with tempfile.TemporaryDirectory(prefix="viewpoint-bench-") as scratch, \
            postgres_server() as server:
        rows += bench_demo(sizes, server, Path(scratch))
    header = ["benchmark", "database", "size", "time", "rate", "notes"]
    lines = [
        "# Benchmark results",
        "",
        f"Measured {datetime.now(UTC):%Y-%m-%d %H:%M} UTC with `make bench` "
        f"(`python -m benchmarks --demo-sizes {args.demo_sizes}`) on {os.cpu_count()} cores, "
        f"Python {platform.python_version()}.",
        "",
        "| " + " | ".join(header) + " |",
        "|" + "---|" * len(header),
        *("| " + " | ".join(row) + " |" for row in rows),
        "",
    ]
    RESULTS.write_text("\n".join(lines))
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
