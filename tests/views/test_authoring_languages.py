"""The authors' language page: a PO file down and up, approving, recording (by the page's
script, answered in JSON, and by the plain form without it), and the microphone allowed on
this page alone."""

from __future__ import annotations

import io
import socket

from babel.messages.pofile import read_po, write_po
from sqlalchemy import select

from tests.factories import make_user
from tests.staff import sign_in, token_from
from tests.workbooks import BACK_HOME, write
from viewpoint import audio
from viewpoint.models import QuestionnaireText, Role
from viewpoint.operations import authoring
from viewpoint.storage import S3Store

PAGE = "/authoring/questionnaires/back-home/v1/languages/ur"
WEBM = b"\x1a\x45\xdf\xa3" + b"\x01" * 200


def _author(app, session, name: str = "Ash Quill"):  # type: ignore[no-untyped-def]
    user = make_user(session, Role.AUTHOR, name=name)
    return sign_in(app.test_client(), user, session), user


def _draft(app, session, author) -> None:  # type: ignore[no-untyped-def]
    result = authoring.import_workbook(session, app.extensions["viewpoint.library"],
                                       write(BACK_HOME), author, languages=["en", "ur", "pl"])
    assert result.draft is not None


def test_the_page_lists_every_text_and_allows_the_microphone_here_only(app, session) -> None:  # type: ignore[no-untyped-def]
    client, author = _author(app, session)
    _draft(app, session, author)
    page = client.get(PAGE)
    assert page.status_code == 200
    assert "microphone=(self)" in page.headers["Permissions-Policy"]
    html = page.get_data(as_text=True)
    assert BACK_HOME["survey"][1][3] in html  # the Urdu of the first question
    assert "Draft translation" in html and "another reviewer approves them" in html
    assert html.count('class="record-form"') >= 3
    assert "microphone=()" in client.get("/authoring/").headers["Permissions-Policy"]
    # From the questionnaire's page, every language is a link away.
    assert PAGE in client.get("/authoring/questionnaires/back-home").get_data(as_text=True)


def test_a_po_file_goes_down_and_comes_back_as_drafts(app, session) -> None:  # type: ignore[no-untyped-def]
    client, author = _author(app, session)
    _draft(app, session, author)
    down = client.get("/authoring/questionnaires/back-home/v1/languages/pl.po")
    assert down.status_code == 200
    assert 'filename="back-home-v1-pl.po"' in down.headers["Content-Disposition"]
    catalog = read_po(io.BytesIO(down.data))
    for message in catalog:
        if message.id == "Is there anything else you want to tell us?":
            message.string = "Czy chcesz nam jeszcze coś powiedzieć?"
    out = io.BytesIO()
    write_po(out, catalog)
    page = "/authoring/questionnaires/back-home/v1/languages/pl"
    token = token_from(client.get(page).get_data(as_text=True))
    up = client.post(f"{page}/po", data={"csrf_token": token,
                                         "po_file": (io.BytesIO(out.getvalue()), "pl.po")},
                     content_type="multipart/form-data")
    assert up.status_code == 302
    assert "1 translation is saved as a draft" in client.get(page).get_data(as_text=True)

    # A file with a slip is refused whole, with the line named, and the form kept.
    for message in catalog:
        if message.id == "How do you feel now?":
            message.string = "Jak się <b>czujesz</b>?"
    out = io.BytesIO()
    write_po(out, catalog)
    refused = client.post(f"{page}/po", data={"csrf_token": token,
                                              "po_file": (io.BytesIO(out.getvalue()), "pl.po")},
                          content_type="multipart/form-data")
    assert refused.status_code == 422
    html = refused.get_data(as_text=True)
    assert "The file was not taken" in html and "Line " in html
    assert session.scalar(select(QuestionnaireText).where(
        QuestionnaireText.english == "How do you feel now?",
        QuestionnaireText.language == "pl")) is None
    # No file at all: said so, nothing else happens.
    empty = client.post(f"{page}/po", data={"csrf_token": token},
                        content_type="multipart/form-data")
    assert empty.status_code == 400 and "Choose a PO file" in empty.get_data(as_text=True)


def test_another_author_approves_the_ticked_translations(app, session) -> None:  # type: ignore[no-untyped-def]
    _translator_client, translator = _author(app, session)
    _draft(app, session, translator)
    client, _reviewer = _author(app, session, "Rumi Checker")
    html = client.get(PAGE).get_data(as_text=True)
    assert "Checked: approve" in html
    rows = list(session.scalars(select(QuestionnaireText).where(
        QuestionnaireText.questionnaire_key == "back-home", QuestionnaireText.language == "ur")))
    token = token_from(html)
    nothing = client.post(f"{PAGE}/approve", data={"csrf_token": token})
    assert nothing.status_code == 302
    assert "Tick the translations" in client.get(PAGE).get_data(as_text=True)
    approved = client.post(f"{PAGE}/approve", data={
        "csrf_token": token, "text": [str(rows[0].id), "not-a-number"]})
    assert approved.status_code == 302
    session.refresh(rows[0])
    assert rows[0].approved_at is not None
    assert "1 translation is approved" in client.get(PAGE).get_data(as_text=True)
    # The translator cannot approve their own words, even by sending the form by hand.
    own = _translator_client.post(f"{PAGE}/approve", data={
        "csrf_token": token_from(_translator_client.get(PAGE).get_data(as_text=True)),
        "text": [str(rows[1].id)]})
    assert own.status_code == 302
    session.refresh(rows[1])
    assert rows[1].approved_at is None


def test_a_recording_is_saved_by_the_script_and_by_the_plain_form(app, session) -> None:  # type: ignore[no-untyped-def]
    client, author = _author(app, session)
    _draft(app, session, author)
    built = authoring.built(session, app.extensions["viewpoint.library"],
                            authoring.versions_of(session, "back-home")[0])
    texts = [t for t in authoring.language_texts(session, app, built, "ur") if t.words]
    token = token_from(client.get(PAGE).get_data(as_text=True))
    # The page's script asks for JSON.
    sent = client.post(f"{PAGE}/recordings", headers={"Accept": "application/json"},
                       data={"csrf_token": token, "digest": texts[0].digest,
                             "recording": (io.BytesIO(WEBM), "recording.webm")},
                       content_type="multipart/form-data")
    assert sent.status_code == 200 and sent.json["status"] == "saved"
    heard = client.get(sent.json["audio"])
    assert heard.status_code == 200 and heard.data == WEBM
    heard.close()
    # Not a recording: refused in words, nothing written.
    bad = client.post(f"{PAGE}/recordings", headers={"Accept": "application/json"},
                      data={"csrf_token": token, "digest": texts[1].digest,
                            "recording": (io.BytesIO(b"%PDF-1.7"), "recording.webm")},
                      content_type="multipart/form-data")
    assert bad.status_code == 422 and "not a recording" in bad.json["message"]
    assert audio.recording_for(app, "ur", texts[1].words) is None
    # Without the script: the plain form, and a redirect back to the text.
    plain = client.post(f"{PAGE}/recordings",
                        data={"csrf_token": token, "digest": texts[1].digest,
                              "recording": (io.BytesIO(WEBM), "voice.webm")},
                        content_type="multipart/form-data")
    assert plain.status_code == 302 and plain.headers["Location"].endswith(
        f"#t-{texts[1].digest}")
    assert audio.recording_for(app, "ur", texts[1].words) == f"{texts[1].digest}.webm"
    # An expired page (no CSRF token) is told so in JSON; nothing saved.
    stale = client.post(f"{PAGE}/recordings", headers={"Accept": "application/json"},
                        data={"digest": texts[2].digest,
                              "recording": (io.BytesIO(WEBM), "recording.webm")},
                        content_type="multipart/form-data")
    assert stale.status_code in (400, 422) and audio.recording_for(
        app, "ur", texts[2].words) is None
    for text in texts[:2]:
        authoring.remove_recording(session, app, built, "ur", text.digest, author)


def test_an_unreachable_audio_store_is_said_in_words_and_changes_nothing(  # type: ignore[no-untyped-def]
        app, session, monkeypatch) -> None:
    client, author = _author(app, session)
    _draft(app, session, author)
    token = token_from(client.get(PAGE).get_data(as_text=True))
    built = authoring.built(session, app.extensions["viewpoint.library"],
                            authoring.versions_of(session, "back-home")[0])
    texts = [t for t in authoring.language_texts(session, app, built, "ur") if t.words]
    # The bucket's service stops answering (nothing listens where it was).
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        gone = sock.getsockname()[1]
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "viewpoint-test")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "viewpoint-test")
    monkeypatch.setitem(app.extensions, "viewpoint.audio_store",
                        S3Store("viewpoint-audio", "", endpoint=f"http://127.0.0.1:{gone}"))
    monkeypatch.setitem(app.extensions, "viewpoint.audio", None)

    page = client.get(PAGE)
    assert page.status_code == 200
    assert "The recordings cannot be shown just now" in page.get_data(as_text=True)
    sent = client.post(f"{PAGE}/recordings", headers={"Accept": "application/json"},
                       data={"csrf_token": token, "digest": texts[0].digest,
                             "recording": (io.BytesIO(WEBM), "recording.webm")},
                       content_type="multipart/form-data")
    assert sent.status_code == 422
    assert "cannot be reached just now, so nothing was changed" in sent.json["message"]
    removed = client.post(f"{PAGE}/recordings/{texts[0].digest}/remove",
                          data={"csrf_token": token}, follow_redirects=True)
    assert removed.status_code == 200
    assert "cannot be reached just now" in removed.get_data(as_text=True)
