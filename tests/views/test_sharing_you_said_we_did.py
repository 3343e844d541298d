"""Sharing a "you said, we did" with the Children in Care Council must not give a child away.

These tests play the tester who got a nickname, a misspelt name, the case reference, a
sibling's name, the children's home, a street, a date, an age and a nationality past the old
check: each goes in through the real share form, as a team manager, with every box of the
checklist ticked, and must be refused in words that say what was found, with nothing shared.
The checklist itself is enforced by the server, box by box.
"""

from __future__ import annotations

import re
import statistics
import time
from datetime import date

import pytest
from sqlalchemy import event, insert, select

from tests.factories import make_child, make_team, make_user
from tests.staff import post, sign_in
from tests.views.test_feedback import sent_response
from tests.views.test_feedback_sharing import events, field, manager_of, share_url, ticked
from viewpoint.models import Child, EthnicityGroup, Feedback, Gender, Role
from viewpoint.operations.feedback import (
    SHARE_CHECKLIST,
    IdentifyingDetails,
    check_shareable,
    share_feedback,
    shared_examples,
    write_feedback,
)
from viewpoint.operations.identifying import Leak, edit_distance, find_identifying_details

#: The realistic example a manager would share: it must pass.
PLAIN = ("Young people said bedtimes were too early, so the home agreed later bedtimes at "
         "weekends.")


@pytest.fixture()
def child(session) -> Child:  # type: ignore[no-untyped-def]
    """Alexander Alder, in Sam Cobblestone's caseload and Robin Hartwell's team."""
    return make_child(session, age=12, first_name="Alexander")


@pytest.fixture()
def sibling(session, child) -> Child:  # type: ignore[no-untyped-def]
    """Alexander's sister, in care too, in the same team."""
    return make_child(session, first_name="Ash", team=child.team, worker=child.social_worker)


@pytest.fixture()
def note(app, session, child) -> Feedback:  # type: ignore[no-untyped-def]
    response = sent_response(app, session, child)
    written = write_feedback(session, response, child.social_worker,
                             "Alexander, you said bedtime was too early: it is later now.")
    session.commit()
    return written.feedback


@pytest.fixture()
def manager(app, session, child):  # type: ignore[no-untyped-def]
    return sign_in(app.test_client(), manager_of(session, child), session)


def nothing_shared(session, note: Feedback) -> None:  # type: ignore[no-untyped-def]
    """The note is not shared, nothing reached the council's view, nothing was recorded."""
    session.refresh(note)
    assert (note.shared_text, note.shared_by_id, note.shared_at) == (None, None, None)
    assert shared_examples(session) == []
    assert events(session, "feedback.shared") == []


def refused_page(manager, note: Feedback, data: dict[str, str]) -> str:  # type: ignore[no-untyped-def]
    answer = post(manager, share_url(note), data)
    assert answer.status_code == 400
    page = answer.get_data(as_text=True)
    assert 'class="error-summary"' in page
    assert '<details class="share no-print" open>' in page
    return page


def boxes(page: str, note: Feedback) -> dict[str, bool]:
    """The checklist's boxes on the page, and whether each is ticked."""
    tags = re.findall(rf'<input[^>]*name="share-{note.id}-(\w+)"[^>]*type="checkbox"[^>]*>'
                      rf'|<input[^>]*type="checkbox"[^>]*name="share-{note.id}-(\w+)"[^>]*>',
                      page)
    inputs = re.findall(r'<input[^>]*type="checkbox"[^>]*>', page)
    return {next(name for name in found if name): " checked" in tag
            for found, tag in zip(tags, inputs, strict=True)}


def html(text: str) -> str:
    """``text`` as the page escapes it."""
    return text.replace("&", "&amp;").replace("'", "&#39;").replace('"', "&#34;")


# --- the tester's nine leaks, through the real form --------------------------------------------

@pytest.mark.parametrize(("leak", "text", "found", "why"), [
    ("a nickname",
     "Alex asked for a later bedtime at weekends; the home agreed.",
     "Take out “Alex”", "it could be short for “Alexander”, the child's first name"),
    ("a misspelling of the child's name",
     "Alexandr asked for a later bedtime at weekends; the home agreed.",
     "Take out “Alexandr”", "it is very like “Alexander”, the name of the child or of the "
                            "worker who wrote the note, and a misspelt name"),
    ("the case reference",
     "The young person {reference} asked for a later bedtime; the home agreed.",
     "Take out “{reference}”", "it looks like a case reference"),
    ("a sibling's name",
     "You said you wanted to see Ash more often, so we arranged more visits.",
     "Take out “Ash”", "it is the name of a child or a member of staff in viewpoint"),
    ("the children's home's name",
     "Everyone at Oakfield House asked for later bedtimes; they are later now.",
     "Take out “Oakfield House”", "it looks like a street, a home, a school or a postcode"),
    ("a street",
     "You said the bus stop on Wellington Road felt unsafe, so it was moved.",
     "Take out “Wellington Road”", "There are no addresses in viewpoint to check against"),
    ("dates",
     "On 12/03/2026 you said bedtimes were too early; from 12 March they are later.",
     "Take out the dates “12/03/2026”, “12 March”", "the day of a move, a birthday or a meeting"),
    ("an age",
     "A twelve-year-old said bedtimes were too early, so they are later now.",
     "Take out “twelve-year-old”", "an age narrows down who this is about"),
    ("a nationality",
     "An Afghan young person said the food was strange, so the menu changed.",
     "Take out “Afghan”", "few children in care share a nationality, a home country or a "
                          "language"),
])
def test_each_leak_the_tester_found_is_refused_through_the_form(  # type: ignore[no-untyped-def]
        session, child, sibling, note, manager, leak: str, text: str, found: str,
        why: str) -> None:
    text, found = (value.format(reference=child.reference) for value in (text, found))
    page = refused_page(manager, note, ticked(note, text))
    assert html(found) in page, leak
    assert html(why) in page, leak
    assert html(text) in page  # nothing typed is lost
    nothing_shared(session, note)
    # The boxes were ticked for words that failed the check: they come back empty.
    assert boxes(page, note) == dict.fromkeys(SHARE_CHECKLIST, False)


def test_the_plain_example_is_shared_and_the_council_reads_it(session, child, sibling,  # type: ignore[no-untyped-def]
                                                              note, manager) -> None:
    saved = post(manager, share_url(note), ticked(note, PLAIN))
    assert saved.status_code == 302, saved.get_data(as_text=True)
    assert [example.text for example in shared_examples(session)] == [PLAIN]
    [event] = events(session, "feedback.shared")
    # The audit trail keeps that every check was confirmed, in the checklist's order.
    assert event.detail == {"checklist": list(SHARE_CHECKLIST)}


@pytest.mark.parametrize("text", [
    "You said you wanted to see your brother more; we arranged visits every fortnight.",
    "You said, we did: bedtimes are later at weekends, and the older ones stay up longest.",
    "You Said, We Did: young people chose the new sofa for the lounge.",
    "Last Tuesday you asked for a later bedtime. In March we will look at it again.",
    "Five young people asked for more pocket money; it went up for everyone.",
    "We will ask the foster carers about phones, and hope to say yes.",
])
def test_ordinary_words_are_shared(session, child, sibling, note, manager,  # type: ignore[no-untyped-def]
                                   text: str) -> None:
    # Children called Will, Hope and Young elsewhere do not stop "we will", "hope", "young".
    make_child(session, first_name="Will", team=make_team(session))
    make_child(session, first_name="Hope", team=make_team(session))
    session.commit()
    saved = post(manager, share_url(note), ticked(note, text))
    assert saved.status_code == 302, saved.get_data(as_text=True)
    assert [example.text for example in shared_examples(session)] == [text]


# --- names ---------------------------------------------------------------------------------

@pytest.mark.parametrize(("text", "kind", "words"), [
    ("Aldre said bedtimes were too early.", Leak.NEAR_NAME, ("Aldre",)),  # letters swapped
    ("alexandre asked for a phone.", Leak.NEAR_NAME, ("alexandre",)),
    ("Alexandra and Alexxander asked for phones.", Leak.NEAR_NAME, ("Alexandra", "Alexxander")),
    ("Mr Cobblestun agreed to later bedtimes.", Leak.NEAR_NAME, ("Cobblestun",)),
    ("alex and ALEX asked for phones.", Leak.NICKNAME, ("alex",)),
    ("Alexie asked for a phone.", Leak.NICKNAME, ("Alexie",)),
])
def test_misspelt_names_and_nicknames_of_this_child_and_worker_are_refused(  # type: ignore[no-untyped-def]
        session, child, note, text: str, kind: Leak, words: tuple[str, ...]) -> None:
    with pytest.raises(IdentifyingDetails) as refused:
        check_shareable(session, note, text)
    assert {finding.kind for finding in refused.value.findings} == {kind}
    assert refused.value.words == words


def test_another_childs_or_staff_members_name_in_viewpoint_is_refused(  # type: ignore[no-untyped-def]
        session, child, note, manager) -> None:
    # Children and staff of another team: the manager cannot see them, the check can.
    elsewhere = make_team(session, "Riverside")
    make_child(session, first_name="Zainab", team=elsewhere)
    make_user(session, Role.SOCIAL_WORKER, elsewhere, name="Priya Okonkwo-Lind")
    session.commit()
    text = "You said Zainab and zainab's worker okonkwo were kind; we told them so."
    page = refused_page(manager, note, ticked(note, text))
    assert html("Take out “Zainab”, “okonkwo”: they are names of children or staff in "
                "viewpoint") in page
    nothing_shared(session, note)


@pytest.mark.parametrize(("text", "refused"), [
    ("We will get you a phone.", ()),
    ("Will you tell us if it helps?", ()),
    ("We asked Will about phones.", ("Will",)),
    ("Will asked for a phone; he has one now.", ("Will",)),  # a capital and a word of saying
    ("Will's room was painted blue.", ("Will",)),
    ("Uncle will came to visit.", ("will",)),
])
def test_a_name_that_is_an_ordinary_word_is_refused_only_where_it_reads_as_a_name(  # type: ignore[no-untyped-def]
        session, child, note, text: str, refused: tuple[str, ...]) -> None:
    make_child(session, first_name="Will", team=make_team(session))
    session.flush()
    found = find_identifying_details(session, note, text)
    assert tuple(finding.words for finding in found) == refused
    assert all(finding.kind is Leak.OTHER_NAME for finding in found)


# --- the rest of what can be checked -------------------------------------------------------

@pytest.mark.parametrize(("text", "kind", "words"), [
    ("Ask about DEMO-0042 and LAC/2024/117 and AB123456.", Leak.REFERENCE,
     ("DEMO-0042", "LAC/2024/117", "AB123456")),
    ("It changed on 2026-03-12, on 12.3.26 and on 3/4.", Leak.DATE,
     ("2026-03-12", "12.3.26", "3/4")),
    ("It changed on the 12th of March, on March 12th and in March 2026.", Leak.DATE,
     ("the 12th of March", "March 12th", "March 2026")),
    ("It changed on the twelfth of March and again in 2025.", Leak.DATE,
     ("the twelfth of March", "2025")),
    # Welsh councils write in Welsh too.
    ("Newidiodd ar 12 Mawrth ac eto ym mis Hydref 2026.", Leak.DATE,
     ("12 Mawrth", "Hydref 2026")),
    ("They were aged twelve, twelve years old and 12 year olds.", Leak.AGE,
     ("aged twelve", "twelve years old", "12 year olds")),
    ("Since turning sixteen, after a sixteenth birthday, in year seven.", Leak.AGE,
     ("turning sixteen", "sixteenth birthday", "in year seven")),
    ("There were 3 brothers at number 14; bedtime is 9pm.", Leak.NUMBER, ("3", "14", "9pm")),
    ("The home at BD1 3AB, near St Mary's School and oakfield lodge.", Leak.PLACE,
     ("BD1 3AB", "St Mary's School", "oakfield lodge")),
    ("Eritrean, Syrian and Kurdish young people, and Pashto speakers.", Leak.NATIONALITY,
     ("Eritrean", "Syrian", "Kurdish", "Pashto")),
])
def test_every_kind_of_detail_in_its_common_forms(session, child, note, text: str,  # type: ignore[no-untyped-def]
                                                  kind: Leak, words: tuple[str, ...]) -> None:
    found = find_identifying_details(session, note, text)
    assert [(finding.kind, finding.words) for finding in found] == [
        (kind, word) for word in words]


@pytest.mark.parametrize("text", [
    "Last Tuesday you asked for a later bedtime.",   # a weekday is no date
    "In March we will look at it again.",            # nor a month alone
    "The first may be the hardest week.",            # "may" is a verb here
    "We turned one of the rooms into a games room.",
    "Last year two young people asked for a pet.",
    "We moved them to the new home and the children's home agreed.",
    "The Home agreed later bedtimes.",
    "Dywedodd pobl ifanc mai amser gwely oedd yn rhy gynnar ym mis Mawrth.",  # no day, no year
])
def test_ordinary_sentences_that_look_a_little_like_details_pass(session, child, note,  # type: ignore[no-untyped-def]
                                                                 text: str) -> None:
    assert find_identifying_details(session, note, text) == ()


def test_the_messages_say_what_was_found_kind_by_kind(session, child, note) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(IdentifyingDetails) as refused:
        check_shareable(session, note, "Sam gave Alex, aged 12, a phone on 3 May.")
    assert refused.value.words == ("Sam", "Alex", "aged 12", "3 May")
    assert refused.value.messages == [
        "Take out the name “Sam”: a name could let someone recognise who this is about.",
        "Take out “Alex”: it could be short for “Alexander”, the child's first name, and a "
        "nickname says who this is about as plainly as a name.",
        "Take out the date “3 May”: the day of a move, a birthday or a meeting can point to "
        "one child. Say “recently” or “this spring” instead.",
        "Take out “aged 12”: an age narrows down who this is about, and with one more detail "
        "can point to one child. Say “young people” instead.",
    ]


def test_misspellings_are_counted_by_edit_distance() -> None:
    assert edit_distance("alexander", "alexander", 2) == 0
    assert edit_distance("alder", "aldre", 1) == 1        # two letters swapped
    assert edit_distance("alexander", "alexandra", 2) == 2   # within 2: nine letters
    assert edit_distance("cobblestone", "cobblestun", 2) == 2
    assert edit_distance("wren", "wrenne", 1) == 2        # past the limit: limit + 1
    assert edit_distance("sam", "samantha", 2) == 3       # lengths alone rule it out


# --- the checklist -------------------------------------------------------------------------

def test_the_share_form_shows_the_checklist_unticked(session, child, note, manager) -> None:  # type: ignore[no-untyped-def]
    page = manager.get(f"/casework/responses/{note.response_id}").get_data(as_text=True)
    assert "Before you share, check the words" in page
    for label in ("No names, nicknames or initials of anyone",
                  "No places: homes, schools, streets, towns", "No dates, ages or numbers",
                  "Nothing only this child would have said or done (a rare event, a particular "
                  "hobby, a described appearance)",
                  "The child would be content to see these words on the wall of the Children "
                  "in Care Council"):
        assert html(label) in page
    assert boxes(page, note) == dict.fromkeys(SHARE_CHECKLIST, False)


@pytest.mark.parametrize("left_empty", SHARE_CHECKLIST)
def test_sharing_is_refused_until_every_box_is_ticked(session, child, note, manager,  # type: ignore[no-untyped-def]
                                                      left_empty: str) -> None:
    data = ticked(note, PLAIN)
    del data[f"share-{note.id}-{left_empty}"]
    page = refused_page(manager, note, data)
    assert "1 check is not ticked: share the words only when every check is true" in page
    assert f'href="#share-{note.id}-{left_empty}"' in page  # the summary leads to the box
    assert html(PLAIN) in page  # the words are kept
    # ...and so are the boxes ticked: only words that fail the check clear them.
    assert boxes(page, note) == {item: item != left_empty for item in SHARE_CHECKLIST}
    nothing_shared(session, note)


def test_no_box_ticked_is_refused_and_the_words_are_kept(session, child, note,  # type: ignore[no-untyped-def]
                                                         manager) -> None:
    page = refused_page(manager, note, {field(note): PLAIN, f"share-{note.id}-no_names": ""})
    assert "5 checks are not ticked" in page
    assert html(PLAIN) in page
    nothing_shared(session, note)


def test_the_words_are_checked_before_every_box_is_ticked(session, child, note,  # type: ignore[no-untyped-def]
                                                           manager) -> None:
    text = "Alex asked for a later bedtime; it is later now."
    data = ticked(note, text)
    del data[f"share-{note.id}-no_names"]
    page = refused_page(manager, note, data)
    # What the words hold is said at once; the boxes are cleared, to be ticked for new words.
    assert html("Take out “Alex”: it could be short for “Alexander”") in page
    assert "check is not ticked" not in page
    assert boxes(page, note) == dict.fromkeys(SHARE_CHECKLIST, False)
    nothing_shared(session, note)


def test_the_operation_refuses_an_item_not_on_the_checklist(session, child, note) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ValueError, match="not on the sharing checklist: looked_twice"):
        share_feedback(session, note, manager_of(session, child), PLAIN,
                       checklist=[*SHARE_CHECKLIST, "looked_twice"])
    nothing_shared(session, note)


# --- a council's worth of names ------------------------------------------------------------

@pytest.mark.slow
def test_a_council_of_twenty_thousand_children_is_checked_in_one_query_within_100_ms(  # type: ignore[no-untyped-def]
        app, session, child, note) -> None:
    syllables = ["ka", "lo", "mi", "ru", "ze", "ba", "no", "ti", "vu", "she", "dra", "qui",
                 "fen", "mor", "lix", "ya", "go", "pe", "ju", "wha"]
    names = [a.capitalize() + b + c for a in syllables for b in syllables for c in syllables
             ][:10000]
    team_id = child.team_id
    rows = [{"reference": f"PERF-{number:05d}",
             "first_name": names[number % len(names)] + ("-Zoë" if number % 97 == 0 else ""),
             "last_name": names[(number * 7 + 3) % len(names)],
             "date_of_birth": date(2014, 1, 1), "gender": Gender.GIRL,
             "ethnicity_group": EthnicityGroup.OTHER, "team_id": team_id}
            for number in range(20000)]
    session.execute(insert(Child), rows)
    session.flush()
    last = rows[-1]["last_name"]
    text = f"You said bedtimes were early; {last} and zoe agreed, so they are later now."
    assert note.child is not None and note.written_by is not None  # loaded before timing

    statements: list[str] = []
    engine = app.extensions["viewpoint.engine"]

    def seen(_conn, _cursor, statement, *_args) -> None:  # type: ignore[no-untyped-def]
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", seen)
    try:
        found = find_identifying_details(session, note, text)
    finally:
        event.remove(engine, "before_cursor_execute", seen)
    assert [(finding.kind, finding.words) for finding in found] == [
        (Leak.OTHER_NAME, last), (Leak.OTHER_NAME, "zoe")]
    # One query, of the name columns only: no whole children.
    [query] = statements
    assert "first_name" in query and "display_name" in query
    assert "date_of_birth" not in query and "reference" not in query

    timings = []
    for _ in range(5):
        started = time.perf_counter()
        find_identifying_details(session, note, text)
        timings.append(time.perf_counter() - started)
    assert statistics.median(timings) < 0.1, timings
    assert session.scalar(select(Child.id).where(Child.reference == "PERF-19999"))



def test_the_operation_itself_refuses_words_without_the_whole_checklist(session, child,  # type: ignore[no-untyped-def]
                                                                        note) -> None:
    """Whatever way the words come in (a form, a future API), sharing needs every item of
    the checklist confirmed."""
    for confirmed in ((), SHARE_CHECKLIST[:-1]):
        with pytest.raises(ValueError, match="checklist is not confirmed"):
            share_feedback(session, note, manager_of(session, child), PLAIN,
                           checklist=confirmed)
    nothing_shared(session, note)
