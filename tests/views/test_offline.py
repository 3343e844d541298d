"""What a tablet keeps to answer offline (the pack and its copies), and the sealed records
it sends back once online: stored once, in the child's order, the response sent and its
alerts raised, whoever's page sends them; and nothing anyone could forge or read."""

from __future__ import annotations

import base64
import gzip
import json
import os
import re

from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from sqlalchemy import func, select

from tests.views.test_respond import begin, enter
from viewpoint.models import Alert, AlertSource, Answer, Invitation, Response

SECOND = 1_000_000


def _pack(client, invite, age: int = 9):  # type: ignore[no-untyped-def]
    _child, issued = invite(age=age)
    enter(client, issued.code)
    begin(client)
    reply = client.get("/offline/pack")
    assert reply.status_code == 200
    assert reply.headers["Cache-Control"] == "no-store"
    return reply.get_json()


def _seal(pack: dict, record: dict, iv: bytes | None = None) -> dict:  # type: ignore[type-arg]
    """Seal ``record`` as the page's script does (AES-GCM, the reference as associated data)."""
    iv = iv or os.urandom(12)
    key = base64.b64decode(pack["seal"]["key"])
    data = AESGCM(key).encrypt(iv, json.dumps(record).encode(), pack["seal"]["ref"].encode())
    return {"ref": pack["seal"]["ref"], "iv": base64.b64encode(iv).decode(),
            "data": base64.b64encode(data).decode()}


def _saves(*answers: tuple[str, object], given: int = 1_000) -> list[dict]:  # type: ignore[type-arg]
    return [{"question": key, "value": value, "declined": False, "save_id": f"s-{n}",
             "seq": (n + 1) * SECOND, "given": given} for n, (key, value) in enumerate(answers)]


def test_the_pack_lists_every_page_of_the_band_whatever_the_answers(  # type: ignore[no-untyped-def]
        client, invite) -> None:
    pack = _pack(client, invite, age=9)
    keys = [q["key"] for page in pack["pages"] for q in page["questions"]]
    # The follow-up to "someone is hurting me" is in the pack, with the rule that opens it.
    assert "hurting_talk" in keys
    rule = next(q["show_if"] for page in pack["pages"] for q in page["questions"]
                if q["key"] == "hurting_talk")
    assert rule["question"] == "hurting_me" and sorted(rule["any_of"]) == ["not_sure", "yes"]
    assert pack["language"] == "en"
    assert pack["finish"] == "/finish"
    assert "/static/js/respond.js" in pack["files"]
    assert re.fullmatch(r"[0-9a-f]{16}", pack["build"])
    # Every page's copy, in one download: each question's address leads to its page.
    copies = client.get(pack["copies"]).get_json()
    for key in keys:
        assert f"/questions/{key}" in copies["paths"]
    for address in ("/finish", "/language", "/offline/done/finish", "/offline/done/stop",
                    "/offline/done/talk", "/offline/done/waiting"):
        assert address in copies["paths"], address
    first = copies["pages"][copies["paths"]["/questions/safe_home"]]
    assert "data-offline-copy" in first and " checked" not in first


def test_copies_hold_no_answers_no_names_and_no_secrets(  # type: ignore[no-untyped-def]
        client, invite, app) -> None:
    child, issued = invite(age=13)
    enter(client, issued.code)
    path = begin(client)
    pack = client.get("/offline/pack").get_json()
    html = client.get(path).get_data(as_text=True)
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)
    client.post("/answers", json={"token": pack["token"], "question": "safe_home",
                                  "value": "happy", "save_id": "x"},
                headers={"X-CSRFToken": csrf})
    sent = client.get(pack["copies"], headers={"Accept-Encoding": "gzip"})
    assert sent.headers["Content-Encoding"] == "gzip"  # nothing secret in it to compress
    copies = json.loads(gzip.decompress(sent.get_data()))
    for name, page in copies["pages"].items():
        assert 'value="happy" checked' not in page.replace("\n", " "), name
        assert child.first_name not in page and child.last_name not in page, name
        assert csrf not in page and pack["csrf"] not in page, name
        assert pack["token"] not in page, name
    # Another child of the same age, on another tablet: the very same copies.
    with app.test_client() as other:
        _other_child, other_issued = invite(age=13)
        enter(other, other_issued.code)
        begin(other)
        theirs = other.get("/offline/pack").get_json()
        assert theirs["token"] != pack["token"]
        assert other.get(theirs["copies"]).get_json() == copies


def test_finishing_offline_is_stored_once_and_raises_the_alert(  # type: ignore[no-untyped-def]
        client, invite, session, app) -> None:
    pack = _pack(client, invite, age=9)
    record = {"step": "finish", "device": pack["seal"]["device"], "helped_by": "carer",
              "saves": _saves(("safe_home", "happy"), ("hurting_me", "yes"),
                              ("hurting_talk", "yes"), given=1_000)}
    sealed = _seal(pack, record)
    # Sent from another browser (the next child's page, or the start page): no session.
    with app.test_client() as other:
        reply = other.post("/offline/sync", json={**sealed, "now": 1_000 + 2 * 3600 * 1000})
        assert reply.status_code == 200, reply.get_data(as_text=True)
        assert reply.get_json()["submitted"] is True
        # The same record again (the reply was lost): nothing doubles.
        again = other.post("/offline/sync", json={**sealed, "now": 1_000 + 2 * 3600 * 1000})
        assert again.status_code == 200
    session.expire_all()
    response = session.scalar(select(Response))
    assert response.submitted_at is not None and response.helped_by.value == "carer"
    assert session.scalar(select(func.count()).select_from(Answer)) == 3
    alerts = session.scalars(select(Alert).where(Alert.response_id == response.id)).all()
    assert alerts, "the worrying answer given offline raised its alert when it arrived"
    # Given two hours before it arrived, by the tablet's clock: the worker is told so.
    answer = session.scalar(select(Answer).where(Answer.question_key == "hurting_me"))
    assert answer.given_at is not None
    assert 7000 <= (answer.saved_at - answer.given_at).total_seconds() <= 7300
    # The child's session on the tablet no longer works.
    assert client.get("/questions/safe_home").status_code == 302


def test_a_late_sealed_record_never_replaces_a_newer_answer(  # type: ignore[no-untyped-def]
        client, invite, session) -> None:
    pack = _pack(client, invite, age=13)
    html = client.get("/questions/safe_home").get_data(as_text=True)
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)
    newer = client.post("/answers", json={"token": pack["token"], "saves": [
        {"question": "safe_home", "value": "happy", "save_id": "n", "seq": 9 * SECOND}]},
        headers={"X-CSRFToken": csrf})
    assert newer.status_code == 200
    stop = _seal(pack, {"step": "stop", "device": pack["seal"]["device"],
                        "saves": _saves(("safe_home", "sad"))})
    assert client.post("/offline/sync", json=stop).status_code == 200
    session.expire_all()
    assert session.scalar(select(Answer)).value["v"] == "happy"
    # Stopping offline ended the session everywhere, once it arrived.
    invitation = session.scalar(select(Invitation))
    assert invitation.session_ended_why == "stopped"


def test_asking_to_talk_offline_raises_one_talk_alert(client, invite, session) -> None:  # type: ignore[no-untyped-def]
    pack = _pack(client, invite, age=9)
    talk = _seal(pack, {"step": "talk", "device": pack["seal"]["device"], "saves": []})
    for _ in range(2):
        assert client.post("/offline/sync", json=talk).status_code == 200
    session.expire_all()
    assert session.scalar(select(func.count()).select_from(Alert).where(
        Alert.source == AlertSource.TALK_TO_SOMEONE)) == 1


def test_a_record_sealed_for_one_child_never_reaches_another(  # type: ignore[no-untyped-def]
        client, invite, session, app) -> None:
    first = _pack(client, invite, age=9)
    with app.test_client() as other_tablet:
        second = _pack(other_tablet, invite, age=9)
    record = {"step": "finish", "device": 1, "saves": _saves(("safe_home", "sad"))}
    # Sealed with the first child's key but filed under the second's reference: unreadable.
    forged = {**_seal(first, record), "ref": second["seal"]["ref"]}
    assert client.post("/offline/sync", json=forged).get_json()["status"] == "unreadable"
    # A reference whose token does not match the response: unknown.
    response_id = first["seal"]["ref"].split(".")[0]
    guessed = {**_seal(first, record), "ref": f"{response_id}.{'0' * 24}"}
    assert client.post("/offline/sync", json=guessed).status_code == 404
    # Tampered with on the tablet: unreadable, and nothing stored.
    sealed = _seal(first, record)
    data = bytearray(base64.b64decode(sealed["data"]))
    data[0] ^= 1
    tampered = {**sealed, "data": base64.b64encode(bytes(data)).decode()}
    assert client.post("/offline/sync", json=tampered).status_code == 400
    session.expire_all()
    assert session.scalar(select(func.count()).select_from(Answer)) == 0
    assert session.scalar(select(func.count()).select_from(Response).where(
        Response.submitted_at.is_not(None))) == 0


def test_sync_refuses_what_no_page_sends(client) -> None:  # type: ignore[no-untyped-def]
    for body in ({}, {"ref": "1.x", "iv": "", "data": ""}, {"ref": 5, "iv": "a", "data": "b"},
                 {"ref": "1." + "a" * 24, "iv": "!!", "data": "??"}):
        assert client.post("/offline/sync", json=body).status_code in (400, 404)
    assert client.post("/offline/sync", data="not json",
                       content_type="application/json").status_code == 400


def test_the_service_worker_is_served_from_the_top_of_the_site(client) -> None:  # type: ignore[no-untyped-def]
    reply = client.get("/sw.js")
    assert reply.status_code == 200
    assert reply.headers["Content-Type"].startswith("text/javascript")
    assert "addEventListener(\"fetch\"" in reply.get_data(as_text=True)
    # Looked for on every child's page: kept by the browser for an hour, then asked again
    # with what it kept (nothing sent when unchanged).
    assert reply.headers["Cache-Control"] == "max-age=3600"
    again = client.get("/sw.js", headers={"If-None-Match": reply.headers["ETag"]})
    assert again.status_code == 304 and again.get_data() == b""


def test_the_offline_pages_need_the_child(client, invite) -> None:  # type: ignore[no-untyped-def]
    for address in ("/offline/pack", "/offline/copies", "/offline/finish", "/offline/done/finish",
                    "/offline/page/safe_home"):
        assert client.get(address).status_code == 302
    pack = _pack(client, invite, age=9)
    for step in ("finish", "stop", "talk", "waiting"):
        page = client.get(f"/offline/done/{step}")
        assert page.status_code == 200
        assert f'data-offline-step="{step}"' in page.get_data(as_text=True)
    assert client.get("/offline/page/not_a_question").status_code == 404
    assert client.get(pack["copies"]).status_code == 200


def test_the_autosave_keeps_the_childs_place_when_the_page_moved_by_itself(  # type: ignore[no-untyped-def]
        client, invite, session) -> None:
    pack = _pack(client, invite, age=13)
    assert pack["answers"] == {}
    html = client.get("/questions/safe_home").get_data(as_text=True)
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)
    later = pack["pages"][2]["key"]
    # Each save puts the child at its question; "at" (the page shown) comes after it, also
    # when the child is where they were already (they went back, changed an answer, and
    # the page moved on again before the change was sent).
    steps = (("not_a_question", "sad", "safe_home"), (later, "okay", later),
             (later, "sad", later), (5, "happy", "safe_home"))
    for n, (at, value, kept) in enumerate(steps, 1):
        saved = client.post("/answers", json={"token": pack["token"], "at": at, "saves": [
            {"question": "safe_home", "value": value, "save_id": f"p-{n}", "seq": n * SECOND}]},
            headers={"X-CSRFToken": csrf})
        assert saved.status_code == 200
        session.expire_all()
        assert session.scalar(select(Response.resume_at)) == kept
    # The pack now carries the answer, for the copies to show.
    again = client.get("/offline/pack").get_json()
    assert again["answers"] == {"safe_home": {"value": "happy", "declined": False}}
