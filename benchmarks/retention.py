"""How long the nightly retention run and the audit trail's check take on a council of some
size: the demo council with N responses and 100,000 audit rows, every record made due by
running as on a day far ahead. The published figures are compared before and after."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import create_engine, text

from viewpoint import audit, create_app
from viewpoint.config import Config, normalise_database_url
from viewpoint.extensions import db

from .__main__ import count_rows, new_database, viewpoint

AUDIT_ROWS = 100_000
FAR_AHEAD = "2200-01-01"


def _write_audit_rows(url: str, scratch: Path) -> None:
    """AUDIT_ROWS rows, a thousand to a transaction, as many requests would write them."""
    app = create_app(Config(DATABASE_URL=url, SECRET_KEY="bench-" + "x" * 40,
                            INSTANCE_PATH=str(scratch), VIEWPOINT_ENV="development"))
    with app.app_context():
        for start in range(0, AUDIT_ROWS, 1000):
            for number in range(start, start + 1000):
                audit.record("child.viewed", child_id=number % 500 + 1,
                             detail={"n": number}, session=db.session)
            db.session.commit()
        db.session.remove()
    app.extensions["viewpoint.engine"].dispose()


def _published(url: str) -> list[tuple[object, ...]]:
    engine = create_engine(normalise_database_url(url))
    with engine.connect() as connection:
        rows = connection.execute(text(
            "SELECT period_kind, period_start, indicator, plan_kind, dimension, value, "
            "positive, not_positive, declined_or_skipped FROM published_indicator "
            "ORDER BY 1, 2, 3, 4, 5, 6")).all()
        rows += connection.execute(text(
            "SELECT period_kind, period_start, indicator, plan_kind, dimension, value, "
            "positive, not_positive, declined FROM indicator_total ORDER BY 1, 2, 3, 4, 5, 6"
        )).all()
    engine.dispose()
    return [tuple(row) for row in rows]


def bench_retention(sizes: list[int], server: str | None, scratch: Path) -> list[list[str]]:
    rows = []
    for backend in ("sqlite", "postgresql"):
        if backend == "postgresql" and server is None:
            rows.append(["retention run", backend, "-", "skipped: no PostgreSQL", "", "-", ""])
            continue
        for size in sizes:
            url = new_database(backend, server, scratch, f"bench_retention_{backend}_{size}")
            viewpoint(url, scratch, "db", "upgrade")
            viewpoint(url, scratch, "demo", "--responses", str(size))
            _write_audit_rows(url, scratch)
            before = count_rows(url)
            figures = _published(url)
            verify = viewpoint(url, scratch, "audit", "verify")
            dry = viewpoint(url, scratch, "retention", "run", "--today", FAR_AHEAD)
            applied = viewpoint(url, scratch, "retention", "run", "--apply", "--today",
                                FAR_AHEAD)
            after = count_rows(url)
            same = "same" if _published(url) == figures else "CHANGED"
            verify_after = viewpoint(url, scratch, "audit", "verify")
            label = f"{before['response']:,} responses"
            gone = before["child"] - after["child"]
            rows += [
                ["audit verify", backend, f"{AUDIT_ROWS:,} audit rows", f"{verify:.1f} s",
                 f"{AUDIT_ROWS / verify:,.0f} rows/s", "-", "whole chain checked"],
                ["retention dry run", backend, label, f"{dry:.1f} s",
                 f"{before['child'] / dry:,.0f} children/s", "-",
                 f"{before['child']:,} children looked at"],
                ["retention run --apply", backend, label, f"{applied:.1f} s",
                 f"{gone / applied:,.0f} children destroyed/s", "-",
                 f"{gone:,} children's records destroyed; kept: {after['child']:,} (open child "
                 f"protection plans); totals {same}; audit verify after: {verify_after:.1f} s"],
            ]
            for row in rows[-3:]:
                print(" | ".join(row), flush=True)
    return rows
