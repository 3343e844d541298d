"""`make bench`: run the benchmarks and write the table to benchmarks/results/latest.md.

Each benchmark is a function that returns rows for the table. Databases are created
fresh for each run: SQLite in a temporary folder, PostgreSQL from
VIEWPOINT_BENCH_POSTGRES_URL (or VIEWPOINT_TEST_POSTGRES_URL) or a throwaway cluster.

Benchmarks (choose with --only / --skip):
  demo     how long `viewpoint demo --responses N` takes (SQLite and PostgreSQL)
  answers  autosave throughput and latency (POST /answers) under gunicorn on SQLite,
           against a bare route doing one durable insert on the same server
  render   question page latency (GET /questions/<key>) under concurrent children
  weight   bytes a 4-7 child's tablet downloads for a question page (cache empty)
  questionnaire  a whole 8-11 questionnaire as Chromium sends it (recorded on the server,
           service worker included), replayed under gunicorn by 16 tablets at once; and the
           bytes a 4-7 child's fresh tablet downloads to hold the questionnaire offline
  cpu      CPU time the app spends per question page and per answer save, in one process
           (steady on a busy machine: for comparing two versions of the code)
  dashboards  the panel's dashboard page and each of its queries at 10k, 100k and 1M
           responses, SQLite and PostgreSQL (builds each council first: about 40 minutes)
  disclosure  the share of dashboard figures published (not withheld) at 1,500 and
           20,000 responses, against the share before the cell key method
  retention  `viewpoint audit verify` over 100,000 audit rows, and `viewpoint retention run`
           (dry, then --apply) on the demo council with every record due; the totals are
           compared before and after
  cluster  two app servers behind nginx (TLS) on PostgreSQL, as deploy/ installs them,
           with children answering through a server killed, last night's backup and a
           rolling upgrade to a build with a new migration (needs nginx; about 2 minutes)
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
            rows.append(["demo build", backend, "-", "skipped: no PostgreSQL", "", "-", ""])
            continue
        for size in sizes:
            url = new_database(backend, server, scratch, f"bench_demo_{backend}_{size}")
            viewpoint(url, scratch, "db", "upgrade")
            seconds = viewpoint(url, scratch, "demo", "--responses", str(size))
            counts = count_rows(url)
            rows.append(["demo build", backend, f"{counts['response']:,} responses",
                         f"{seconds:.1f} s",
                         f"{(counts['response'] + counts['answer']) / seconds:,.0f} rows/s",
                         "-", f"{counts['child']:,} children, {counts['answer']:,} answers"])
            print(" | ".join(rows[-1]), flush=True)
    return rows


BENCHMARKS = ("demo", "answers", "render", "weight", "questionnaire", "cpu", "dashboards",
              "disclosure", "retention", "cluster")
WEB = {"answers", "render", "weight"}
#: Load tests with a server of their own, shaped by the same options as WEB's.
OWN_SERVER = {"questionnaire"}


def _names(value: str) -> set[str]:
    names = {name.strip() for name in value.split(",") if name.strip()}
    unknown = names - set(BENCHMARKS)
    if unknown:
        raise argparse.ArgumentTypeError(
            f"unknown benchmark {', '.join(sorted(unknown))} (choose from {', '.join(BENCHMARKS)})")
    return names


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--only", type=_names, default=set(BENCHMARKS), metavar="NAMES",
                        help="comma-separated benchmarks to run (default: all)")
    parser.add_argument("--skip", type=_names, default=set(), metavar="NAMES",
                        help="comma-separated benchmarks to leave out")
    parser.add_argument("--demo-sizes", default=os.environ.get("BENCH_DEMO_SIZES", "10000"),
                        help="comma-separated response counts for the demo build benchmark "
                             "(default 10000; 10000,100000 takes about 2.5 minutes more)")
    parser.add_argument("--dashboard-sizes",
                        default=os.environ.get("BENCH_DASHBOARD_SIZES", "10000,100000,1000000"),
                        help="comma-separated response counts for the dashboards benchmark "
                             "(default 10000,100000,1000000)")
    parser.add_argument("--disclosure-sizes",
                        default=os.environ.get("BENCH_DISCLOSURE_SIZES", "1500,20000"),
                        help="comma-separated response counts for the disclosure benchmark "
                             "(default 1500,20000)")
    parser.add_argument("--retention-sizes",
                        default=os.environ.get("BENCH_RETENTION_SIZES", "20000"),
                        help="comma-separated response counts for the retention benchmark "
                             "(default 20000)")
    parser.add_argument("--cluster-children", type=int, default=300,
                        help="children answering in the cluster benchmark (default 300)")
    parser.add_argument("--cluster-pause", type=float, default=1.0,
                        help="seconds between one child's saves, on average (default 1)")
    parser.add_argument("--cluster-steady", type=float, default=20.0,
                        help="seconds of answering before the crash and after the upgrade "
                             "(default 20)")
    web = parser.add_argument_group("web benchmarks (answers, render, weight, questionnaire)")
    web.add_argument("--clients", type=int, default=16,
                     help="concurrent clients, each a signed-in child (default 16)")
    web.add_argument("--duration", type=float, default=10.0,
                     help="measured seconds per load test (default 10)")
    web.add_argument("--warmup", type=float, default=2.0,
                     help="unmeasured seconds before each load test (default 2)")
    web.add_argument("--worker-class", default="sync", choices=("sync", "gthread"),
                     help="gunicorn worker class (default sync: 3 sync workers were the "
                          "fastest measured on 2 cores)")
    web.add_argument("--workers", type=int, default=3, help="gunicorn workers (default 3)")
    web.add_argument("--threads", type=int, default=2,
                     help="threads per gthread worker (default 2; sync workers have one)")
    web.add_argument("--profile", type=Path, metavar="DIR",
                     help="run the server under cProfile, write DIR/*.prof and DIR/summary.txt; "
                          "figures are slowed by the profiler, so latest.md is not written")
    return parser.parse_args(argv)


def profile_summary(folder: Path, limit: int = 40) -> str:
    """The functions that took the server's time, summed over every worker and thread."""
    import io
    import pstats

    files = sorted(str(path) for path in folder.glob("*.prof"))
    if not files:
        return f"no profiles in {folder}"
    out = io.StringIO()
    stats = pstats.Stats(*files, stream=out)
    stats.strip_dirs().sort_stats("cumulative").print_stats(limit)
    stats.sort_stats("tottime").print_stats(limit)
    return out.getvalue()


#: What the measured app is made of (the README and the benchmarks themselves are not).
APP_PATHS = ("viewpoint", "templates", "static", "translations", "pyproject.toml")


def code_version() -> str:
    """The commit measured, and whether the app's files differ from it."""
    def git(*args: str) -> str:
        return subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True,
                              check=True).stdout.strip()

    try:
        commit = git("rev-parse", "--short", "HEAD")
        changed = git("status", "--porcelain", "--", *APP_PATHS)
    except (OSError, subprocess.CalledProcessError):
        return "an unknown commit"
    return f"commit {commit}" + (" plus uncommitted changes" if changed else "")


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    measured = code_version()
    selected = args.only - args.skip
    sizes = [int(size) for size in args.demo_sizes.split(",") if size]
    rows: list[list[str]] = []
    with tempfile.TemporaryDirectory(prefix="viewpoint-bench-") as scratch:
        if "demo" in selected:
            with postgres_server() as server:
                rows += bench_demo(sizes, server, Path(scratch))
        if "dashboards" in selected:
            from benchmarks.dashboards import bench_dashboards

            with postgres_server() as server:
                rows += bench_dashboards(
                    [int(size) for size in args.dashboard_sizes.split(",") if size], server,
                    Path(scratch))
        if "disclosure" in selected:
            from benchmarks.disclosure import bench_disclosure

            rows += bench_disclosure(
                [int(size) for size in args.disclosure_sizes.split(",") if size], Path(scratch))
        if "retention" in selected:
            from benchmarks.retention import bench_retention

            with postgres_server() as server:
                rows += bench_retention(
                    [int(size) for size in args.retention_sizes.split(",") if size], server,
                    Path(scratch))
        if "cluster" in selected:
            from benchmarks.cluster import bench_cluster

            with postgres_server() as server:
                rows += bench_cluster(server, Path(scratch), children=args.cluster_children,
                                      pause=args.cluster_pause, steady=args.cluster_steady)
        if "cpu" in selected:
            from benchmarks.cpu import bench_cpu

            rows += bench_cpu(Path(scratch))
        if selected & (WEB | OWN_SERVER):
            from benchmarks.web import ServerOptions, WebSettings, bench_web

            if args.profile:
                for old in args.profile.glob("*.prof"):
                    old.unlink()

            settings = WebSettings(
                server=ServerOptions(args.worker_class, args.workers, args.threads),
                clients=args.clients, duration=args.duration, warmup=args.warmup,
                profile=args.profile.resolve() if args.profile else None)
            if selected & WEB:
                rows += bench_web(selected, settings, Path(scratch))
            if "questionnaire" in selected:
                from benchmarks.questionnaire import bench_questionnaire

                rows += bench_questionnaire(settings, Path(scratch))
    header = ["benchmark", "database", "size", "time", "rate", "target", "notes"]
    command = " ".join(["python -m benchmarks", *(argv if argv is not None else sys.argv[1:])])
    lines = [
        "# Benchmark results",
        "",
        f"Measured {datetime.now(UTC):%Y-%m-%d %H:%M} UTC with `{command.strip()}` "
        f"on {os.cpu_count()} cores, Python {platform.python_version()}, {measured}.",
        "",
        "| " + " | ".join(header) + " |",
        "|" + "---|" * len(header),
        *("| " + " | ".join(row) + " |" for row in rows),
        "",
    ]
    if args.profile:
        summary = profile_summary(args.profile)
        (args.profile / "summary.txt").write_text(summary)
        print(summary)
        print(f"Profiled run: {args.profile / 'summary.txt'}; {RESULTS} left as it was.")
    else:
        RESULTS.write_text("\n".join(lines))
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
