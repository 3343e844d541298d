"""``viewpoint demo``: a deterministic, obviously fictional council to try the service on.

Every name is made up, every reference starts with ``DEMO-``, and the same seed and
date always give the same council. Answers differ between groups the way councils'
own surveys find they do (children in residential care and on child protection plans
feel safe and settled less often; teenagers are less happy than younger children), so
that dashboards have something true-to-life to show.

Rows are written in batches with explicit ids (COPY on PostgreSQL), so a million
responses take minutes, not hours.
"""

from __future__ import annotations

import math
import random
import time
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

import click
from flask.cli import with_appcontext
from sqlalchemy import JSON, Connection, Table, func, select, text

from .auth.passwords import hash_password
from .extensions import IMMEDIATE, db
from .i18n import available_languages
from .models import (
    Alert,
    Answer,
    Child,
    CoverageTotal,
    DashboardEntry,
    IndicatorTotal,
    Invitation,
    Plan,
    QuestionnaireVersion,
    Response,
    Review,
    ReviewCoverage,
    Role,
    Team,
    User,
    store_value,
)
from .operations.alerts import acknowledge_deadline
from .operations.totals import (
    NO_PLACEMENT,
    Entry,
    Tally,
    coverage_status,
    indicator_outcomes,
    mark_latest,
)
from .periods import QUARTER, YEAR, quarter_of, uk_date
from .questionnaires import Catalogue, Question, Questionnaire
from .questionnaires.library import served
from .questionnaires.snapshot import Snapshot, snapshot_version

DEMO_DOMAIN = "demo.viewpoint.test"

TEAMS = [
    ("Riverside Children in Care Team", "care_plan"),
    ("Hillside Children in Care Team", "care_plan"),
    ("Eastgate Child Protection Team", "child_protection"),
    ("Westbrook Children in Need Team", "child_in_need"),
    ("Moorland Leaving Care Team", "pathway_plan"),
]

FIRST_NAMES = [
    "Amara", "Bilal", "Chloe", "Dawit", "Ellis", "Freya", "Gabriel", "Hana", "Idris", "Jade",
    "Kacper", "Leila", "Mason", "Nadia", "Omar", "Poppy", "Qasim", "Rosa", "Samir", "Tia",
    "Usman", "Vera", "Wiktoria", "Yusuf", "Zara", "Aleksy", "Bethan", "Callum", "Darya", "Eden",
    "Filip", "Grace", "Harun", "Isla", "Jakub", "Kofi", "Lena", "Milan", "Noor", "Oscar",
    "Priya", "Ravi", "Sofia", "Tomas", "Uma", "Vikram", "Wren", "Yasmin", "Zain", "Ayaan",
]
#: Surnames from nature, so nobody mistakes a demo child for a real one.
LAST_NAMES = [
    "Alder", "Birchwood", "Cloudberry", "Dunlin", "Elderbrook", "Fernhill", "Gorse", "Heron",
    "Ivybank", "Juniper", "Kestrel", "Larkspur", "Meadowsweet", "Nettlebed", "Oakapple",
    "Pebblesby", "Quillfeather", "Rowanberry", "Sorrelton", "Thistledown", "Umberfield",
    "Willowmere", "Yarrowby", "Zephyrine",
]
STAFF_NAMES = [
    "Alex Brightwater", "Sam Cobblestone", "Jo Dewpond", "Chris Fairweather", "Pat Glenmore",
    "Robin Hartwell", "Morgan Inglenook", "Taylor Juniperfield", "Jamie Kettleby",
    "Casey Lanternwick", "Drew Millbrook", "Kit Northcote", "Lee Orchardson", "Rowan Pinecroft",
    "Sasha Quarrymoor", "Toni Ravensdale", "Nico Stillwater", "Bea Tumbledown",
    "Dev Underhill", "Ash Valleyfield", "Remy Westerby", "Jules Yewtree", "Max Zennor",
    "Cam Ambleside", "Fin Barrowcliffe", "Quinn Copperbeech",
]

FREE_TEXT = [
    "I want to see my brother more often.",
    "Can I stay where I am? I like it here.",
    "I would like to do football after school.",
    "Please tell them I am doing better at school.",
    "I don't like it when meetings are about me and I am not there.",
    "I want to know when I can see my mum.",
    "My carer helps me with my homework.",
    "I want my own phone.",
    "I want to learn to cook before I move out.",
    "I'd like help with college applications.",
]


@dataclass
class Group:
    """What shapes a demo child's answers: how things are going for them overall."""

    wellbeing: float
    attrs: dict[str, Any] = field(default_factory=dict)


def _logistic(x: float) -> float:
    return 1.0 / (1.0 + math.exp(-x))


def _next_review(kind: str, previous: date, number: int) -> date:
    """When review ``number`` (0 = first) falls due, following the statutory rhythm.

    Looked-after children: within 20 working days, then 3 months, then every 6 months.
    Child protection: within 3 months of the conference, then every 6 months.
    Child in need: every 3 months. Pathway plans: every 6 months.
    """
    if kind == "care_plan":
        days = 28 if number == 0 else 91 if number == 1 else 182
    elif kind == "child_protection":
        days = 91 if number == 0 else 182
    elif kind == "child_in_need":
        days = 91
    else:
        days = 182
    return previous + timedelta(days=days)


class DemoBuilder:
    """Builds the demo council in batches. ``responses`` sets roughly how many responses."""

    BATCH = 5000

    def __init__(self, catalogue: Catalogue, *, responses: int, seed: int, today: date,
                 languages: tuple[str, ...]) -> None:
        self.catalogue = catalogue
        self.target = responses
        self.rng = random.Random(seed)
        # Record keys come from a stream of their own, so the council itself does not change
        # with them.
        self.key_rng = random.Random(f"{seed}-record-keys")
        self.seed = seed
        self.today = today
        self.now = datetime.combine(today, datetime.min.time(), UTC) + timedelta(hours=9)
        self.languages = languages
        self.ids: dict[str, int] = {}
        self.counts: dict[str, int] = {}
        self.versions: dict[tuple[str, str, str], int] = {}
        self.snapshots: dict[int, Snapshot] = {}
        #: The dashboards' totals, counted as the council is built.
        self.tally = Tally()

    # --- ids and buffered writes ---

    def next_id(self, table: str) -> int:
        self.ids[table] = self.ids.get(table, 0) + 1
        return self.ids[table]

    def sign_ins(self) -> list[tuple[str, str, str]]:
        """(email, role, password) for every demo user, the same for the same seed."""
        rng = random.Random(f"{self.seed}-passwords")
        words = ["kite", "river", "lantern", "meadow", "harbour", "pebble", "orchard", "thimble",
                 "compass", "saffron", "willow", "beacon"]
        result = []
        for email, role in _demo_staff_plan():
            password = "-".join(rng.choice(words) for _ in range(3)) + f"-{rng.randint(10, 99)}"
            result.append((email, role, password))
        return result

    # --- the build ---

    def build(self, connection: Connection, echo: Any = click.echo) -> dict[str, int]:
        started = time.perf_counter()
        writer = _Writer(connection)
        teams, workers_by_team, managers, iros = self._staff(writer)
        echo(f"  staff: {self.ids['staff_user']} users in {len(teams)} teams")
        # Children are added until there are enough responses: at least 200 children, and
        # however many more it takes (about one response per child per review held).
        limit = 200 + 2 * self.target
        for index in range(limit):
            self._child(writer, index, teams, workers_by_team, iros)
            if self.counts.get("response", 0) >= self.target and index >= 199:
                break
            if index % 2000 == 1999:
                writer.flush()
                echo(f"  {index + 1} children, {self.counts.get('response', 0)} responses "
                     f"({time.perf_counter() - started:.0f} s)")
        for table, rows in ((IndicatorTotal.__table__, self.tally.indicator_rows()),
                            (CoverageTotal.__table__, self.tally.coverage_rows())):
            for row in rows:
                writer.add(table, row)
        writer.flush()
        writer.reset_sequences(self.ids)
        self.counts["seconds"] = round(time.perf_counter() - started)
        return self.counts

    def _staff(self, writer: _Writer) -> tuple[list[int], dict[int, list[int]], dict[int, int],
                                                list[int]]:
        passwords = {email: password for email, _, password in self.sign_ins()}
        hashes: dict[str, str] = {}
        teams: list[int] = []
        workers_by_team: dict[int, list[int]] = {}
        managers: dict[int, int] = {}
        iros: list[int] = []
        names = iter(STAFF_NAMES)
        for team_name, _kind in TEAMS:
            team_id = self.next_id("team")
            writer.add(Team.__table__, {"id": team_id, "name": team_name, "created_at": self.now})
            teams.append(team_id)
        for email, role in _demo_staff_plan():
            team_index = _team_of(email)
            hashes[email] = hash_password(passwords[email])
            user_id = self.next_id("staff_user")
            writer.add(User.__table__, {
                "id": user_id, "email": email, "display_name": next(names), "role": role,
                "team_id": teams[team_index] if team_index is not None else None,
                "password_hash": hashes[email], "is_active": True, "must_change_password": False,
                "created_at": self.now})
            if role == Role.SOCIAL_WORKER.value:
                workers_by_team.setdefault(teams[team_index], []).append(user_id)
            elif role == Role.TEAM_MANAGER.value:
                managers[teams[team_index]] = user_id
            elif role == Role.REVIEWING_OFFICER.value:
                iros.append(user_id)
        writer.flush()
        self.counts["staff_user"] = self.ids["staff_user"]
        return teams, workers_by_team, managers, iros

    def prepare_snapshots(self) -> None:
        """Store the questionnaire snapshots responses point at (before the bulk write)."""
        session = db.session()
        for questionnaire in self.catalogue.questionnaires.values():
            for band in questionnaire.bands:
                for language in self.languages:
                    version = snapshot_version(session, questionnaire, band, language)
                    session.flush()
                    self.versions[(questionnaire.id, band, language)] = version.id
                    self.snapshots[version.id] = Snapshot(version.content)
        session.commit()
        top = session.scalar(select(func.max(QuestionnaireVersion.id))) or 0
        # Keep our explicit ids clear of any other table's.
        self.ids["questionnaire_version"] = top

    def _child(self, writer: _Writer, index: int, teams: list[int],
               workers_by_team: dict[int, list[int]], iros: list[int]) -> None:
        rng = self.rng
        kind = rng.choices(["care_plan", "child_protection", "child_in_need", "pathway_plan"],
                           weights=[45, 20, 20, 15])[0]
        team_index = {"care_plan": rng.choice([0, 1]), "child_protection": 2,
                      "child_in_need": 3, "pathway_plan": 4}[kind]
        team_id = teams[team_index]
        if kind == "pathway_plan":
            age = rng.randint(16, 21)
        else:
            age = min(17, max(4, int(rng.triangular(4, 18, 13))))
        born = self.today - timedelta(days=age * 365 + rng.randint(0, 364))
        gender = rng.choices(["girl", "boy", "another", "not_recorded"], weights=[45, 52, 1, 2])[0]
        ethnicity = rng.choices(["white", "mixed", "asian", "black", "other", "not_recorded"],
                                weights=[62, 10, 14, 7, 5, 2])[0]
        unaccompanied = kind in ("care_plan", "pathway_plan") and age >= 14 and rng.random() < 0.12
        if unaccompanied:
            gender = "boy" if rng.random() < 0.9 else gender
            ethnicity = rng.choice(["asian", "black", "other"])
            language = rng.choice(["ps", "fa", "ar", "ti", "ckb", "ur"])
        elif ethnicity == "asian" and rng.random() < 0.4:
            language = rng.choice(["ur", "pa", "bn"])
        elif ethnicity == "white" and rng.random() < 0.08:
            language = rng.choice(["pl", "ro", "sk"])
        else:
            language = rng.choice(["en"] * 30 + ["cy"])
        placement = None
        if kind == "care_plan":
            choices = ["foster", "kinship", "residential", "placed_with_parents", "secure", "other"]
            weights = [56, 16, 11 + (8 if age >= 12 else 0), 7, 1, 3]
            if age >= 16:
                choices.append("semi_independent")
                weights.append(20)
            placement = rng.choices(choices, weights=weights)[0]
        elif kind == "pathway_plan":
            placement = rng.choices(["foster", "semi_independent", "other"],
                                    weights=[18, 52, 30])[0]
        child_id = self.next_id("child")
        worker = rng.choice(workers_by_team[team_id])
        record_key = self.key_rng.randrange(256)
        writer.add(Child.__table__, {
            "id": child_id, "record_key": record_key, "reference": f"DEMO-{child_id:07d}",
            "first_name": rng.choice(FIRST_NAMES), "last_name": rng.choice(LAST_NAMES),
            "date_of_birth": born, "gender": gender, "ethnicity_group": ethnicity,
            "preferred_language": language, "team_id": team_id, "social_worker_id": worker,
            "created_at": self.now})
        self.counts["child"] = child_id
        # How life is going for this child, shaped by their circumstances.
        wellbeing = rng.gauss(0.9, 0.9)
        wellbeing -= {"residential": 0.7, "secure": 1.0, "semi_independent": 0.35}.get(
            placement or "", 0.0)
        wellbeing -= {"child_protection": 0.5, "child_in_need": 0.2}.get(kind, 0.0)
        wellbeing -= 0.35 if 12 <= age <= 17 else 0.0
        wellbeing -= 0.3 if unaccompanied else 0.0
        group = Group(wellbeing)
        started = self.today - timedelta(days=rng.randint(60, 1500))
        plan_id = self.next_id("plan")
        writer.add(Plan.__table__, {"id": plan_id, "child_id": child_id, "kind": kind,
                                    "placement_type": placement, "started_on": started,
                                    "ended_on": None})
        chair = rng.choice(iros) if kind in ("care_plan", "child_protection") else None
        questionnaire = self.catalogue.for_plan_kind(kind)
        definition = questionnaire[0] if questionnaire else None
        number = 0
        due = _next_review(kind, started, number)
        horizon = self.today - timedelta(days=730)
        profile = {"child_id": child_id, "plan_kind": kind, "gender": gender,
                   "ethnicity_group": ethnicity, "placement": placement or NO_PLACEMENT,
                   "team_id": team_id, "record_key": record_key}
        entries: list[Entry] = []
        while due <= self.today + timedelta(days=120):
            review_id = self.next_id("review")
            held = due - timedelta(days=rng.randint(0, 6)) if due < self.today else None
            writer.add(Review.__table__, {"id": review_id, "plan_id": plan_id, "due_on": due,
                                          "held_on": held, "chair_id": chair})
            asked = None
            if definition is not None and due >= horizon:
                asked = self._invitation(writer, definition, child_id, born, language, plan_id,
                                         review_id, due, worker, group, profile, entries)
            if held is not None:
                status = coverage_status(held, *(asked or (None, None)))
                key = (quarter_of(held).start, team_id, kind, status, record_key)
                self.tally.count_review(*key)
                writer.add(ReviewCoverage.__table__, dict(zip(
                    ("review_id", "quarter_start", "team_id", "plan_kind", "status",
                     "record_key"), (review_id, *key), strict=True)))
            number += 1
            due = _next_review(kind, due, number)
            group.wellbeing += rng.gauss(0.05, 0.25)  # most children's lives improve a little
        mark_latest(entries)
        for entry in entries:
            if entry.counted_in_quarter:
                self.tally.count_entry(entry, QUARTER)
            if entry.counted_in_year:
                self.tally.count_entry(entry, YEAR)
            writer.add(DashboardEntry.__table__, entry.row())

    def _invitation(self, writer: _Writer, definition: Questionnaire, child_id: int, born: date,
                    language: str, plan_id: int, review_id: int, due: date, worker: int,
                    group: Group, profile: dict[str, Any],
                    entries: list[Entry]) -> tuple[datetime, datetime | None] | None:
        """Maybe ask the child's views for a review: (issued, submitted) if a code was issued."""
        rng = self.rng
        issued = datetime.combine(due - timedelta(days=rng.randint(8, 20)), datetime.min.time(),
                                  UTC) + timedelta(hours=rng.randint(8, 17))
        if issued > self.now:
            return None
        if rng.random() > 0.78 or self.counts.get("response", 0) >= self.target:
            return None  # views not sought for this review
        age = (issued.date() - born).days // 365
        band = definition.band_for_age(age) or definition.bands[-1]
        served_language = language if (definition.id, band, language) in self.versions else "en"
        expires = issued + timedelta(days=14)
        outcome = rng.random()
        in_progress = issued > self.now - timedelta(days=14)
        if in_progress and outcome < 0.5:
            state = "issued"
        elif outcome < 0.06:
            state = "cancelled"
        elif outcome < 0.16:
            state = "issued"  # never used; expired
        else:
            state = "submitted"
        invitation_id = self.next_id("invitation")
        writer.add(Invitation.__table__, {
            "id": invitation_id, "child_id": child_id, "review_id": review_id,
            "questionnaire_key": definition.id, "band": None, "language": served_language,
            "code_hash": f"demo-{self.seed}-{invitation_id:012d}".ljust(64, "0")[:64],
            "issued_by_id": worker, "issued_at": issued, "expires_at": expires, "state": state})
        self.counts["invitation"] = invitation_id
        if state != "submitted":
            return issued, None
        started = issued + timedelta(hours=rng.randint(1, 24 * 9))
        submitted = started + timedelta(minutes=rng.randint(4, 35))
        response_id = self.next_id("response")
        helped = rng.choices(["nobody", "carer", "worker", "someone_else", None],
                             weights=[45, 25, 18, 7, 5])[0]
        writer.add(Response.__table__, {
            "id": response_id, "invitation_id": invitation_id, "child_id": child_id,
            "plan_id": plan_id, "review_id": review_id,
            "questionnaire_version_id": self.versions[(definition.id, band, served_language)],
            "questionnaire_key": definition.id, "band": band, "language": served_language,
            "helped_by": helped, "started_at": started, "saved_at": submitted,
            "submitted_at": submitted})
        self.counts["response"] = response_id
        answers: dict[str, Any] = {}
        given: dict[str, tuple[Any, bool]] = {}
        snapshot = self.snapshots[self.versions[(definition.id, band, served_language)]]
        for question in definition.questions_for(band):
            if not snapshot.is_shown(question.key, answers):
                continue
            value, declined = self._answer(question, group)
            if value is None and not declined:
                continue  # skipped
            answers[question.key] = value
            given[question.key] = (value, declined)
            writer.add(Answer.__table__, {
                "id": self.next_id("answer"), "response_id": response_id,
                "question_key": question.key, "value": None if declined else store_value(value),
                "declined": declined, "client_save_id": None, "saved_at": submitted})
            self.counts["answer"] = self.ids["answer"]
            if question.alert is not None and question.raises_alert(value):
                closed = submitted < self.now - timedelta(days=3)
                writer.add(Alert.__table__, {
                    "id": self.next_id("alert"), "child_id": child_id, "response_id": response_id,
                    "question_key": question.key, "source": "answer",
                    "summary": question.alert.summary, "raised_at": submitted,
                    "acknowledge_by": acknowledge_deadline(submitted),
                    "overdue_notified_at": None,
                    "acknowledged_at": submitted + timedelta(hours=2) if closed else None,
                    "acknowledged_by_id": worker if closed else None,
                    "closed_at": submitted + timedelta(hours=26) if closed else None,
                    "closed_by_id": worker if closed else None,
                    "action_taken": ("Visited the same day, spoke with the child alone and "
                                     "agreed a safety plan with the carer.") if closed else None})
                self.counts["alert"] = self.ids["alert"]
        entries.append(Entry(response_id=response_id, submitted_on=uk_date(submitted), band=band,
                             outcomes=indicator_outcomes(snapshot, given),
                             **profile))
        return issued, submitted

    def _answer(self, question: Question, group: Group) -> tuple[Any, bool]:
        """(value, declined) for one question; (None, False) means skipped."""
        rng = self.rng
        roll = rng.random()
        if roll < 0.03:
            return None, False
        if roll < 0.07 and question.rather_not_say:
            return None, True
        if question.type == "free_text":
            return (rng.choice(FREE_TEXT), False) if rng.random() < 0.25 else (None, False)
        chance = _logistic(group.wellbeing + rng.gauss(0, 0.6))
        # Worrying answers are rare, and rarer still for children who are doing well.
        worrying = rng.random() < min(0.25, 0.025 * math.exp(-1.2 * group.wellbeing))
        if question.type == "scale":
            assert question.scale is not None
            low, high = question.scale.minimum, question.scale.maximum
            value = int(min(high, max(low, round(rng.gauss(low + (high - low) * chance, 1.2)))))
            rule = question.alert.condition if question.alert else None
            if rule is not None and rule.at_most is not None:
                value = rng.randint(low, rule.at_most) if worrying else max(value, rule.at_most + 1)
            return value, False
        keys = [option.key for option in question.options]
        if question.alert is not None and question.type != "choose_many":
            alarming = [k for k in keys if question.raises_alert(k)]
            if worrying:
                return rng.choice(alarming), False
            keys = [k for k in keys if k not in alarming] or keys
        if question.positive is not None and question.positive.any_of:
            good = [k for k in keys if k in question.positive.any_of] or keys
            other = [k for k in keys if k not in question.positive.any_of] or good
            pick_good = rng.random() < chance
            if question.type == "choose_many":
                pool = good if pick_good else other
                return sorted(set(rng.sample(pool, k=min(len(pool), rng.randint(1, 2))))), False
            return rng.choice(good if pick_good else other), False
        if question.type == "choose_many":
            return [k for k in keys if rng.random() < 0.35] or [keys[0]], False
        # No positive answer defined: happier children lean towards the first options.
        position = min(len(keys) - 1, int((1 - chance) * len(keys) * rng.uniform(0.6, 1.2)))
        return keys[position], False


def _demo_staff_plan() -> list[tuple[str, str]]:
    """(email, role) for every demo user; team membership is in the email."""
    plan = []
    for team_index in range(len(TEAMS)):
        plan.append((f"manager{team_index + 1}@{DEMO_DOMAIN}", Role.TEAM_MANAGER.value))
        for worker in range(3):
            plan.append((f"worker{team_index + 1}{'abc'[worker]}@{DEMO_DOMAIN}",
                         Role.SOCIAL_WORKER.value))
    for iro in range(3):
        plan.append((f"iro{iro + 1}@{DEMO_DOMAIN}", Role.REVIEWING_OFFICER.value))
    plan.append((f"panel@{DEMO_DOMAIN}", Role.PANEL_MEMBER.value))
    plan.append((f"admin@{DEMO_DOMAIN}", Role.ADMINISTRATOR.value))
    plan.append((f"author@{DEMO_DOMAIN}", Role.AUTHOR.value))
    return plan


def _team_of(email: str) -> int | None:
    local = email.split("@", 1)[0]
    for prefix in ("manager", "worker"):
        if local.startswith(prefix):
            return int(local[len(prefix)]) - 1
    return None


class _Writer:
    """Buffers rows per table and writes them in dependency order, in big batches."""

    ORDER = ["team", "staff_user", "child", "plan", "review", "invitation", "response", "answer",
             "alert", "dashboard_entry", "review_coverage", "indicator_total", "coverage_total"]
    #: Tables with an id sequence (the dashboards' totals have natural keys instead).
    WITH_IDS = [*ORDER[:ORDER.index("dashboard_entry")], "questionnaire_version"]

    def __init__(self, connection: Connection) -> None:
        self.connection = connection
        self.rows: dict[str, list[dict[str, Any]]] = {}
        self.tables: dict[str, Table] = {}
        self.pending = 0

    def add(self, table: Table, row: dict[str, Any]) -> None:
        self.tables[table.name] = table
        self.rows.setdefault(table.name, []).append(row)
        self.pending += 1
        if self.pending >= 50_000:
            self.flush()

    def flush(self) -> None:
        for name in self.ORDER:
            rows = self.rows.pop(name, None)
            if not rows:
                continue
            if self.connection.dialect.name == "postgresql":
                self._copy(self.tables[name], rows)
            else:
                self.connection.execute(self.tables[name].insert(), rows)
        self.pending = 0

    def _copy(self, table: Table, rows: list[dict[str, Any]]) -> None:
        """PostgreSQL's COPY: several times faster than batched INSERTs for millions of rows."""
        from psycopg.types.json import Jsonb

        columns = list(rows[0])
        json_columns = {c for c in columns if isinstance(table.c[c].type, JSON)}
        raw = self.connection.connection.dbapi_connection
        assert raw is not None
        with raw.cursor() as cursor, cursor.copy(
                f"COPY {table.name} ({', '.join(columns)}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row([Jsonb(row[c]) if c in json_columns and row[c] is not None
                                else row[c] for c in columns])

    def reset_sequences(self, ids: dict[str, int]) -> None:
        """PostgreSQL: move each id sequence past the ids written explicitly."""
        if self.connection.dialect.name != "postgresql":
            return
        for name in self.WITH_IDS:
            self.connection.execute(text(
                f"SELECT setval(pg_get_serial_sequence('{name}', 'id'), "  # noqa: S608
                f"GREATEST((SELECT COALESCE(MAX(id), 0) FROM {name}), 1))"))


def database_is_empty() -> bool:
    return db.session.scalar(select(func.count()).select_from(Team)) == 0


def print_sign_ins(builder: DemoBuilder, echo: Any = click.echo) -> None:
    echo("")
    echo("Demo sign-ins (fictional council; every password is for this demo only):")
    rows = builder.sign_ins()
    width = max(len(email) for email, _, _ in rows)
    for email, role, password in rows:
        echo(f"  {email.ljust(width)}  {role.replace('_', ' '):<18}  {password}")
    echo("")


@click.command("demo")
@click.option("--responses", default=1500, show_default=True, type=click.IntRange(0),
              help="About how many responses to create (children scale with it).")
@click.option("--seed", default=2026, show_default=True, type=int,
              help="Same seed, same date: same council.")
@click.option("--today", type=click.DateTime(["%Y-%m-%d"]), default=None,
              help="The date the demo is built around (default: today).")
@click.option("--if-empty", is_flag=True,
              help="Do nothing (but print the sign-ins) if the database already has data.")
@with_appcontext
def demo_command(responses: int, seed: int, today: datetime | None, if_empty: bool) -> None:
    """Fill an empty database with a fictional council and print its sign-ins.

    The database is migrated to the newest schema first, so that on a new machine
    `viewpoint demo` then `viewpoint run` is all it takes.
    """
    from alembic import command

    from .migrations import alembic_config

    command.upgrade(alembic_config(db.engine), "head")
    catalogue: Catalogue = served()
    builder = DemoBuilder(catalogue, responses=responses, seed=seed,
                          today=(today.date() if today else date.today()),
                          languages=available_languages())
    if not database_is_empty():
        if if_empty:
            click.echo("The database already has data; leaving it as it is.")
            print_sign_ins(builder)
            return
        raise click.ClickException("The database already has data. The demo only fills an empty "
                                   "database: remove it or point DATABASE_URL at a new one.")
    click.echo(f"Building the demo council (about {responses} responses)...")
    builder.prepare_snapshots()
    with db.engine.execution_options(**{IMMEDIATE: True}).begin() as connection:
        counts = builder.build(connection)
    click.echo(", ".join(f"{value} {key}" for key, value in counts.items()))
    print_sign_ins(builder)

