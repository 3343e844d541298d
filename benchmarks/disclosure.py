"""How much of the dashboards disclosure control lets the panel see.

For a demo council of each size (built as of today), every figure the dashboards can show
for a period that has ended and settled is listed: each plan choice's headline (every
indicator), every breakdown value of every indicator under every breakdown, and each team's
row of the coverage table. A figure with children in it is either published or withheld;
the table gives the share published. Periods still running are left out: they are not
published at all (``releases.py``).

The figures before the cell key method (secondary suppression, three plan choices) were
measured with this same count on the code as it was (commit 762e221), and are quoted in the
README beside these.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any


def count(url: str, instance: str) -> dict[str, Any]:
    """Runs inside a fresh process: count published and withheld figures in ``url``."""
    from datetime import date, timedelta

    from sqlalchemy import select

    from viewpoint import create_app
    from viewpoint.config import Config
    from viewpoint.extensions import db
    from viewpoint.models import IndicatorTotal
    from viewpoint.periods import Period
    from viewpoint.published import measures as module

    app = create_app(Config(DATABASE_URL=url, INSTANCE_PATH=instance, SECRET_KEY="b" * 48))
    catalogue = app.extensions["viewpoint.questionnaires"]
    counted: dict[str, list[int]] = {"three": [0, 0], "all": [0, 0]}
    with app.app_context():
        threshold = app.config["DASHBOARD_MIN_CHILDREN"]
        measures = module.Measures(db.session, catalogue, threshold)
        today = date.today()
        # Periods with responses counted (the same list before and after the change).
        periods = sorted(Period(kind, start) for kind, start in db.session.execute(
            select(IndicatorTotal.period_kind, IndicatorTotal.period_start).distinct())
            if Period(kind, start).end + timedelta(days=14) <= today)
        for period in periods:
            for plans in module.PLAN_SETS:
                # The three plan choices offered before (all plans and the two families).
                tallies = [counted["all"]] + ([counted["three"]] if plans in (
                    "all", "in_care", "protection") else [])
                figures = [row.figure for row in measures.headline(period, plans)]
                for indicator in catalogue.indicators:
                    for dimension in module.BREAKDOWNS:
                        figures += [f for _v, f in measures.breakdown(period, plans, indicator,
                                                                      dimension)]
                coverage = measures.coverage(period, plans)
                rows = [figure for _team, figure in coverage.by_team]
                for tally in tallies:
                    tally[0] += sum(1 for row in rows if row.held)
                    tally[1] += sum(1 for row in rows if row.held is None)
                    tally[0] += sum(1 for f in figures if not f.withheld and f.answered)
                    tally[1] += sum(1 for f in figures if f.withheld)
        db.session.commit()
    return {"three": counted["three"], "all": counted["all"],
            "plan_choices": len(module.PLAN_SETS), "periods": len(periods)}


#: Measured with :func:`count` on the code before the cell key method (commit 762e221, demo
#: councils built on 2026-12-03): (published, withheld) over the three plan choices then
#: offered, for the periods that had ended.
BEFORE = {1500: (6855, 3781), 20000: (10606, 124)}


def _share(shown: int, withheld: int) -> str:
    return f"{100 * shown / (shown + withheld):.1f}%"


def bench_disclosure(sizes: list[int], scratch: Path) -> list[list[str]]:
    from benchmarks.__main__ import new_database, viewpoint

    rows = []
    for size in sizes:
        url = new_database("sqlite", None, scratch, f"bench_disclosure_{size}")
        viewpoint(url, scratch, "db", "upgrade")
        viewpoint(url, scratch, "demo", "--responses", str(size))
        output = subprocess.run(
            [sys.executable, "-c", "import json, sys; from benchmarks.disclosure import count; "
             "print(json.dumps(count(sys.argv[1], sys.argv[2])))", url, str(scratch)],
            capture_output=True, text=True, check=True,
            env={**os.environ, "VIEWPOINT_ENV": "development"},
            cwd=Path(__file__).resolve().parent.parent)
        result = json.loads(output.stdout.strip().splitlines()[-1])
        for name, label in (("three", "3 plan choices offered before"),
                            ("all", f"all {result['plan_choices']} plan choices")):
            shown, withheld = result[name]
            target = "-"
            if name == "three" and size in BEFORE:
                before = BEFORE[size]
                better = shown / (shown + withheld) > before[0] / sum(before)
                target = (f"more than before ({_share(*before)}, {before[1]:,} withheld): "
                          f"{'met' if better else 'NOT met'}")
            rows.append([f"figures published ({label})", "sqlite", f"{size:,} responses",
                         "-", f"{_share(shown, withheld)} ({shown:,} of {shown + withheld:,})",
                         target, f"{withheld:,} withheld; {result['periods']} periods that "
                         "have ended; a figure counts when it has children in it"])
            print(" | ".join(rows[-1]), flush=True)
    return rows
