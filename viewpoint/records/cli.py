"""Commands for the council's records manager: the retention schedule's run, and checking
and exporting the audit trail."""

from __future__ import annotations

import csv
import sys
from datetime import UTC, datetime, timedelta

import click
from flask.cli import with_appcontext

from ..extensions import db


@click.group("retention")
def retention_cli() -> None:
    """How long records are kept: see what is due, and destroy it."""


@retention_cli.command("run")
@click.option("--apply", is_flag=True,
              help="Destroy what is due. Without it, only list what is due (a dry run).")
@click.option("--today", type=click.DateTime(formats=["%Y-%m-%d"]), default=None,
              help="Work out what is due as on this day (YYYY-MM-DD; default: today).")
@click.option("--batch", type=click.IntRange(min=1), default=500, show_default=True,
              help="Children handled between commits.")
@with_appcontext
def retention_run(apply: bool, today: datetime | None, batch: int) -> None:
    """List the records due for destruction under the schedule (and legal holds) and, with
    --apply, destroy them in batches. The audit trail records what went: how many of each
    kind and the children's case references, never what the records said."""
    from ..operations.retention import run

    report = run(db.session, today.date() if today else None, apply=apply, batch=batch,
                 commit=db.session.commit if apply else None)
    db.session.commit()
    for line in report.lines():
        click.echo(line)


@retention_cli.command("schedule")
@with_appcontext
def retention_schedule() -> None:
    """Print the schedule in force, with where each period comes from."""
    from ..operations.retention import RECORD_TYPES, schedule

    periods = schedule(db.session)
    for record in RECORD_TYPES:
        for (kind_record, kind), period in periods.items():
            if kind_record == record:
                origin = "default" if period.default else "set by the council"
                click.echo(f"{record:16} {kind:17} {period.describe()} ({origin})")


@click.group("audit")
def audit_cli() -> None:
    """The audit trail: check that nobody has changed it, and export it."""


@audit_cli.command("verify")
@click.option("--anchor", metavar="PLACE:HASH", default=None,
              help="A place and hash this command printed earlier (kept somewhere else): it "
                   "must still be in the chain, so that even a rewritten log is found out.")
@with_appcontext
def audit_verify(anchor: str | None) -> None:
    """Check the audit trail's hash chain from its first row to its end. Exits 1 and names
    the first broken link if a row was changed, removed or put in."""
    from ..audit import verify_chain

    pinned = None
    if anchor:
        place, _, digest = anchor.partition(":")
        if not place.isdigit() or len(digest) != 64:
            raise click.BadParameter("give PLACE:HASH, as printed by this command",
                                     param_hint="--anchor")
        pinned = (int(place), digest.lower())
    found = verify_chain(db.session, anchor=pinned)
    if found.broken:
        click.echo(f"BROKEN after {found.checked} good rows: {found.broken}", err=True)
        sys.exit(1)
    click.echo(f"The audit trail is whole: {found.checked} rows checked.")
    click.echo(f"Its end: {found.end_seq}:{found.end_hash}")
    click.echo("Keep that line somewhere else; give it later as --anchor to check that the "
               "trail up to it was not rewritten.")


@audit_cli.command("export")
@click.option("--from", "start", type=click.DateTime(formats=["%Y-%m-%d"]), required=True,
              help="First day (YYYY-MM-DD, UTC).")
@click.option("--to", "end", type=click.DateTime(formats=["%Y-%m-%d"]), required=True,
              help="Last day, included (YYYY-MM-DD, UTC).")
@with_appcontext
def audit_export(start: datetime, end: datetime) -> None:
    """Write the audit rows of a date range to standard output as CSV, in chain order, with
    each row's hashes (so whoever receives it can check the links)."""
    from ..audit import EXPORT_COLUMNS, export_rows

    if end < start:
        raise click.BadParameter("the last day is before the first", param_hint="--to")
    writer = csv.DictWriter(sys.stdout, fieldnames=EXPORT_COLUMNS, lineterminator="\n")
    writer.writeheader()
    for row in export_rows(db.session, start.replace(tzinfo=UTC),
                           end.replace(tzinfo=UTC) + timedelta(days=1)):
        writer.writerow(row)
