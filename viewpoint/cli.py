"""The ``viewpoint`` command: Flask's CLI for this app, plus our own commands."""

from __future__ import annotations

import sys
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

import click
from flask import Flask
from flask.cli import FlaskGroup, with_appcontext

from .extensions import db
from .questionnaires.library import served


def _create_app() -> Flask:
    from . import create_app

    return create_app()


@click.group(cls=FlaskGroup, create_app=_create_app, add_version_option=False,
             load_dotenv=False)
def main() -> None:
    """viewpoint: children's views for the review of their plan."""


def register_commands(app: Flask) -> None:
    app.cli.add_command(db_group)
    app.cli.add_command(invite_command)
    from .demo import demo_command

    app.cli.add_command(demo_command)
    app.cli.add_command(outbox_group)
    app.cli.add_command(webhooks_group)
    app.cli.add_command(export_group)
    from .admin.cli import admin_cli

    app.cli.add_command(admin_cli)
    from .dashboards import dashboards_cli

    app.cli.add_command(dashboards_cli)
    app.cli.add_command(audio_group)
    from .records.cli import audit_cli, retention_cli

    app.cli.add_command(retention_cli)
    app.cli.add_command(audit_cli)


@click.command("invite")
@click.argument("child_ref")
@click.option("--questionnaire", "questionnaire_id", help="Questionnaire id (default: the one "
              "for the plan of the child's next review).")
@click.option("--band", help="Age band, e.g. 8-11 (default: from the child's date of birth).")
@click.option("--language", help="Language code (default: the child's preferred language).")
@with_appcontext
def invite_command(child_ref: str, questionnaire_id: str | None, band: str | None,
                   language: str | None) -> None:
    """Invite a child to answer before their next review, and print the access code."""
    from sqlalchemy import select

    from .i18n import BRITISH_ENGLISH, available_languages, format_date, format_datetime
    from .models import Child
    from .operations.invitations import InvitationError, issue_invitation

    try:
        with db.writing() as session:
            child = session.scalar(select(Child).where(Child.reference == child_ref))
            if child is None:
                raise InvitationError(f"No child with reference {child_ref}.")
            issued = issue_invitation(session, served(),
                                      child, questionnaire_id=questionnaire_id, band=band,
                                      language=language, offered_languages=available_languages())
    except InvitationError as exc:
        raise click.ClickException(str(exc)) from exc
    invitation = issued.invitation
    click.echo(f"Invitation for {child.first_name} {child.last_name} ({child.reference}): "
               f"{invitation.questionnaire_key}, band {invitation.band or 'from date of birth'}, "
               f"language {invitation.language}, before the review due "
               f"{format_date(invitation.review.due_on, 'long', locale=BRITISH_ENGLISH)}.")
    # Read by the worker, so in British English and UK time ("GMT" or "BST" says which).
    works_until = format_datetime(invitation.expires_at, "d MMMM yyyy, HH:mm z",
                                  locale=BRITISH_ENGLISH)
    click.echo(f"Code (works until {works_until}):")
    click.echo(f"    {issued.code}")


# --- database ---

@click.group("db")
def db_group() -> None:
    """Create and migrate the database."""


def _alembic():  # type: ignore[no-untyped-def]
    from .migrations import alembic_config

    return alembic_config(db.engine)


@db_group.command("upgrade")
@click.argument("revision", default="head")
@with_appcontext
def db_upgrade(revision: str) -> None:
    """Migrate the database up to REVISION (default: the newest)."""
    from alembic import command

    command.upgrade(_alembic(), revision)
    click.echo(f"Database at {revision}.")
    if revision == "head":
        _install_shipped()


def _install_shipped() -> None:
    """Store the shipped questionnaires the database does not hold yet (a new release's
    changed wording is stored too: published where the council never wrote its own)."""
    from .operations.authoring import install_shipped
    from .questionnaires.library import library

    with db.writing() as session:
        stored = install_shipped(session, library())
    for definition in stored:
        click.echo(f"Questionnaire {definition.questionnaire_key}: stored version "
                   f"{definition.version} ({definition.status.value}).")


@db_group.command("downgrade")
@click.argument("revision")
@with_appcontext
def db_downgrade(revision: str) -> None:
    """Migrate the database down to REVISION ("base" removes every table)."""
    from alembic import command

    command.downgrade(_alembic(), revision)


@db_group.command("current")
@with_appcontext
def db_current() -> None:
    """Show the database's migration revision."""
    from alembic import command

    command.current(_alembic(), verbose=True)


@db_group.command("revision")
@click.option("-m", "--message", required=True, help="What the migration does.")
@with_appcontext
def db_revision(message: str) -> None:
    """Write a new migration from the difference between the models and the database."""
    from alembic import command

    command.revision(_alembic(), message=message, autogenerate=True)


@db_group.command("check")
@with_appcontext
def db_check() -> None:
    """Fail if the models have changes that no migration makes."""
    from alembic import command
    from alembic.util import AutogenerateDiffsDetected

    try:
        command.check(_alembic())
    except AutogenerateDiffsDetected as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo("Migrations match the models.")


# --- read aloud ---

@click.group("audio")
def audio_group() -> None:
    """Read-aloud audio for every question and answer, in every language."""


@audio_group.command("build")
@click.option("--language", "languages", multiple=True, metavar="CODE",
              help="Only this language (repeat for more). Default: every language offered.")
@click.option("--force", is_flag=True, help="Make every file again, even those already made.")
@with_appcontext
def audio_build(languages: tuple[str, ...], force: bool) -> None:
    """Generate audio (espeak-ng) for every text a child can hear, into the audio store's
    generated/ folder (AUDIO_STORE: the folder AUDIO_DIR, or an S3 bucket).

    Texts somebody has recorded keep the recording; files for wording no longer used are
    removed. Languages without a synthesiser voice are listed with what still needs recording.
    Pages make what they need on first need too, so the app can serve while this runs.
    """
    import signal

    from flask import current_app

    from .audio import SynthesiserBusy, SynthesiserMissing, SynthesisFailed, audio_store, build
    from .i18n import available_languages
    from .storage import StoreUnavailable

    unknown = [code for code in languages if code not in available_languages()]
    if unknown:
        raise click.BadParameter(f"not offered: {', '.join(unknown)} (offered: "
                                 f"{', '.join(available_languages())})", param_hint="--language")
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    # `make run` builds in the background and stops the build with SIGTERM when the server
    # stops: taken like Ctrl+C, so the build stops its worker processes and tidies up.
    interrupted = signal.signal(signal.SIGTERM, _interrupt)
    try:
        report = build(app, languages or None, force=force, log=click.echo)
    except (SynthesiserMissing, SynthesisFailed, SynthesiserBusy, StoreUnavailable) as exc:
        raise click.ClickException(str(exc)) from exc
    finally:
        signal.signal(signal.SIGTERM, interrupted)
    for language in sorted(set(report.made) | set(report.no_voice)):
        if language in report.no_voice:
            click.echo(f"{language}: no synthesiser voice; {report.recorded[language]} texts "
                       f"recorded, {report.no_voice[language]} still to record "
                       f"(viewpoint audio script {language})")
        else:
            click.echo(f"{language}: {report.made[language]} made, {report.kept[language]} "
                       f"already there, {report.recorded[language]} recorded by people, "
                       f"{report.removed[language]} old files removed")
    click.echo(f"Audio is in {audio_store(app).describe()}")


def _interrupt(_signal: int, _frame: object) -> None:
    raise KeyboardInterrupt


@audio_group.command("script")
@click.argument("language")
@with_appcontext
def audio_script(language: str) -> None:
    """List the texts LANGUAGE has no recording of, as a recording script: the file name to
    save each recording as (under recorded/LANGUAGE/ in the audio store, AUDIO_DIR unless
    AUDIO_STORE names another; .mp3, .ogg, .m4a, .wav or .webm), a tab, then the words to read.
    """
    from flask import current_app

    from .audio import missing_recordings
    from .i18n import available_languages
    from .storage import StoreUnavailable

    if language not in available_languages():
        raise click.BadParameter(f"not offered: {language}", param_hint="LANGUAGE")
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    try:
        for name, text in missing_recordings(app, language):
            click.echo(f"{name}\t{' '.join(text.split())}")
    except StoreUnavailable as exc:
        raise click.ClickException(str(exc)) from exc


# --- alert emails ---

@click.group("outbox")
def outbox_group() -> None:
    """Alert emails: send the ones waiting, and see how many are waiting."""


@outbox_group.command("send")
@click.option("--watch", type=click.IntRange(min=1), metavar="SECONDS",
              help="Keep going: every SECONDS, report overdue alerts and send what is due, "
              "until stopped with Ctrl+C.")
@with_appcontext
def outbox_send(watch: int | None) -> None:
    """Email managers about alerts nobody has acknowledged in time, then send every email
    that is due, then deliver the connected systems' events (``webhooks send`` does only
    that, for a council without email). What is not taken stays queued and is tried again."""
    from flask import current_app

    app = current_app._get_current_object()  # type: ignore[attr-defined]
    if not app.config.get("SMTP_HOST"):
        raise click.ClickException("SMTP_HOST is not set: alert emails are switched off.")
    if watch is None:
        click.echo(_send_once(app))
    else:
        _watch(app, watch, _send_once, "alert emails")


def _watch(app: Flask, seconds: int, once: Callable[..., str], what: str) -> None:
    """``outbox send --watch``: a pass every ``seconds`` until Ctrl+C or SIGTERM.

    The first signal lets the message being sent finish and be marked sent, then stops: a
    stop in the middle of a send would send that email again later. A second Ctrl+C stops
    at once.
    """
    import signal
    import time

    from sqlalchemy.exc import SQLAlchemyError

    stopping = False

    def ask_to_stop(_signum: int, _frame: object) -> None:
        nonlocal stopping
        if stopping:
            raise KeyboardInterrupt
        stopping = True

    previous = {number: signal.signal(number, ask_to_stop)
                for number in (signal.SIGINT, signal.SIGTERM)}
    click.echo(f"Sending {what} every {seconds} seconds (Ctrl+C to stop).")
    try:
        while not stopping:
            try:
                line = once(app, quiet=True, stop=lambda: stopping)
            except SQLAlchemyError as exc:
                # The database restarting or being busy must not end alert emails for
                # good: say so, and try again next time round.
                cause = str(getattr(exc, "orig", None) or exc).strip().splitlines() or [""]
                line = (f"Database error, trying again in {seconds} seconds: "
                        f"{type(exc).__name__}: {cause[0][:200]}")
            if line:
                click.echo(line)
            wake_at = time.monotonic() + seconds
            while not stopping and time.monotonic() < wake_at:
                time.sleep(min(0.5, max(wake_at - time.monotonic(), 0)))
    except KeyboardInterrupt:
        pass
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)
    click.echo("Stopped.")


def _send_once(app: Flask, *, quiet: bool = False,
               stop: Callable[[], bool] | None = None) -> str:
    """One pass of ``outbox send``, in its own app context (a fresh database session): alert
    emails, then the connected systems' events waiting in the same outbox's other table."""
    from .models import utcnow
    from .operations.alerts import notify_overdue
    from .operations.webhooks import deliver as deliver_events
    from .outbox import deliver

    with app.app_context():
        with db.writing() as session:
            overdue = notify_overdue(session, utcnow())
        delivery = deliver(stop=stop)
        events = deliver_events(stop=stop)
    if quiet and not (overdue or delivery.sent or delivery.failed or events.delivered
                      or events.failed):
        return ""
    line = (f"{utcnow():%Y-%m-%d %H:%M:%S} UTC: {delivery.sent} sent, {delivery.failed} failed, "
            f"{overdue} overdue alert(s) reported.")
    if events.delivered or events.failed:
        line += (f" Events for connected systems: {events.delivered} delivered, "
                 f"{events.failed} not accepted.")
    if delivery.stopped_by:
        line += f" Stopped early: {delivery.stopped_by}"
    return line


# --- exports ---

@click.group("export")
def export_group() -> None:
    """Sent responses in the shapes other systems load."""


@export_group.command("ssd-voice-of-child")
@click.option("--since", type=click.DateTime(formats=["%Y-%m-%d"]), default=None,
              help="Only responses sent on or after this day (YYYY-MM-DD).")
@with_appcontext
def export_ssd(since: datetime | None) -> None:
    """Write sent responses to standard output as rows of the Standard Safeguarding
    Dataset's ssd_voice_of_child (docs/ssd-voice-of-child.md says how answers map)."""
    from datetime import UTC

    from sqlalchemy import true

    from .models import Response
    from .records import ssd

    condition = Response.submitted_at >= since.replace(tzinfo=UTC) if since else true()
    click.echo(ssd.as_csv(db.session, ssd.sent_responses(db.session, condition)), nl=False)


# --- webhooks ---

@click.group("webhooks")
def webhooks_group() -> None:
    """Events for connected systems: deliver the ones waiting, and see how many wait."""


@webhooks_group.command("send")
@click.option("--watch", type=click.IntRange(min=1), metavar="SECONDS",
              help="Keep going: every SECONDS, deliver what is due, until stopped with Ctrl+C.")
@with_appcontext
def webhooks_send(watch: int | None) -> None:
    """Deliver every event that is due. Events a receiver does not accept stay queued and
    are tried again, backing off up to an hour between tries."""
    from flask import current_app

    app = current_app._get_current_object()  # type: ignore[attr-defined]
    if watch is None:
        click.echo(_deliver_once(app))
    else:
        _watch(app, watch, _deliver_once, "webhook events")


def _deliver_once(app: Flask, *, quiet: bool = False,
                  stop: Callable[[], bool] | None = None) -> str:
    from .models import utcnow
    from .operations.webhooks import deliver

    with app.app_context():
        sent = deliver(stop=stop)
    if quiet and not (sent.delivered or sent.failed):
        return ""
    return f"{utcnow():%Y-%m-%d %H:%M:%S} UTC: {sent.delivered} delivered, {sent.failed} failed."


@webhooks_group.command("status")
@with_appcontext
def webhooks_status() -> None:
    """How many events are waiting, failing and delivered."""
    from .operations.webhooks import status

    counts = status(db.session)
    click.echo(f"Waiting: {counts.waiting} ({counts.failing} failed at least once)")
    click.echo(f"Delivered: {counts.delivered}")


@outbox_group.command("status")
@with_appcontext
def outbox_status() -> None:
    """How many emails are waiting, failing and sent."""
    from .outbox import status

    counts = status(db.session)
    click.echo(f"Waiting: {counts.pending} ({counts.failing} failed at least once)")
    click.echo(f"Sent: {counts.sent}")
    if counts.oldest_pending_at is not None:
        click.echo(f"Oldest waiting since: {counts.oldest_pending_at:%Y-%m-%d %H:%M} UTC")
    if counts.last_error:
        click.echo(f"Last error: {counts.last_error}")


# --- questionnaires ---

# Registered on ``main`` itself, not the app: a broken definition stops the app from
# starting, and this is the command that must still run to say what is wrong.
@main.group("questionnaires", cls=click.Group)
def questionnaires_group() -> None:
    """Questionnaire definitions."""


@questionnaires_group.command("install")
@with_appcontext
def questionnaires_install() -> None:
    """Store the shipped questionnaires the database does not hold yet (`db upgrade` does
    this too)."""
    _install_shipped()


@questionnaires_group.command("list")
@with_appcontext
def questionnaires_list() -> None:
    """Every stored version of every questionnaire, and which one children are served."""
    from sqlalchemy import select

    from .models import QuestionnaireDefinition
    from .operations.authoring import versions_of

    catalogue = served()
    keys = sorted(set(catalogue.questionnaires) | set(db.session.scalars(
        select(QuestionnaireDefinition.questionnaire_key).distinct())))
    for key in keys:
        current = catalogue.get(key)
        click.echo(f"{key}: {current.staff_title if current else '(not served)'}")
        versions = versions_of(db.session, key)
        if not versions:
            click.echo("  as shipped (not stored yet)")
        for version in versions:
            when = version.published_at or version.updated_at
            click.echo(f"  v{version.version} {version.status.value:<9} {version.origin:<7} "
                       f"{when:%Y-%m-%d}  {version.note}")


@questionnaires_group.command("publish")
@click.argument("key")
@with_appcontext
def questionnaires_publish(key: str) -> None:
    """Publish the draft of questionnaire KEY, after the same checks as `check`."""
    from .models import DefinitionStatus
    from .operations import Refusal
    from .operations.authoring import PublishRefused, publish, versions_of
    from .questionnaires.library import library

    with db.writing() as session:
        draft = next((v for v in versions_of(session, key)
                      if v.status is DefinitionStatus.DRAFT), None)
        if draft is None:
            raise click.ClickException(f"{key} has no draft to publish.")
        try:
            publish(session, library(), draft, None)
        except PublishRefused as refused:
            for problem in refused.problems:
                click.echo(str(problem), err=True)
            raise click.ClickException(
                f"{len(refused.problems)} problem(s): not published.") from None
        except Refusal as refused:
            raise click.ClickException(refused.message) from None
        click.echo(f"{key} v{draft.version} published.")


@questionnaires_group.command("import")
@click.argument("workbook", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@with_appcontext
def questionnaires_import(workbook: Path) -> None:
    """Make a draft (and store its translations) from an XLSForm WORKBOOK (docs/xlsform.md).
    Lists every problem publishing would report, by sheet, row and column."""
    from .i18n import available_languages
    from .operations.authoring import import_workbook
    from .questionnaires.library import library

    with db.writing() as session:
        result = import_workbook(session, library(), workbook.read_bytes(), None,
                                 name=workbook.name, languages=list(available_languages()))
    for problem in result.problems:
        click.echo(str(problem), err=True)
    if result.draft is None:
        raise click.ClickException(f"{workbook.name} was not read: nothing was changed.")
    draft = result.draft
    click.echo(f"{draft.questionnaire_key} v{draft.version}: draft saved"
               + (f", {len(result.problems)} problem(s) to put right before publishing."
                  if result.problems else "; ready to publish."))


@questionnaires_group.command("export")
@click.argument("key")
@click.argument("workbook", type=click.Path(dir_okay=False, writable=True, path_type=Path))
@click.option("--version", "number", type=int, default=None,
              help="The version to export (default: the one served, else the newest).")
@with_appcontext
def questionnaires_export(key: str, workbook: Path, number: int | None) -> None:
    """Write questionnaire KEY, with every translation it has, as an XLSForm WORKBOOK."""
    from .i18n import available_languages
    from .models import DefinitionStatus
    from .operations.authoring import export_workbook, install_shipped, versions_of
    from .questionnaires.library import library

    with db.writing() as session:
        if not versions_of(session, key):
            install_shipped(session, library())
        versions = versions_of(session, key)
        chosen = next((v for v in versions if v.version == number), None) if number else next(
            (v for v in versions if v.status is DefinitionStatus.PUBLISHED),
            versions[0] if versions else None)
        if chosen is None:
            raise click.ClickException(f"There is no questionnaire {key}"
                                       + (f" version {number}." if number else "."))
        workbook.write_bytes(export_workbook(session, chosen, list(available_languages())))
    click.echo(f"{key} v{chosen.version} written to {workbook}.")


@questionnaires_group.command("check")
@click.argument("directory", required=False, type=click.Path(file_okay=False, path_type=Path))
def questionnaires_check(directory: Path | None) -> None:
    """Check every definition (default: the ones the app serves) and list every mistake."""
    from .config import resource_dir
    from .questionnaires import check_definitions

    if directory is None:
        from .config import Config

        configured = Config.from_env().QUESTIONNAIRE_DIR
        directory = Path(configured) if configured else None
    catalogue, problems = check_definitions(directory, static_dir=resource_dir("static"))
    for problem in problems:
        click.echo(str(problem), err=True)
    if problems:
        click.echo(f"{len(problems)} problem(s) found.", err=True)
        sys.exit(1)
    for questionnaire in catalogue.questionnaires.values():
        counts = ", ".join(f"{band}: {len(questionnaire.questions_for(band))}"
                           for band in questionnaire.bands)
        click.echo(f"{questionnaire.source}: ok ({counts} questions)")
    click.echo(f"{len(catalogue.questionnaires)} questionnaire(s), "
               f"{len(catalogue.indicators)} indicator(s): no problems.")
