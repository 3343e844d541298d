"""Every page a child can reach, in every language offered, with no English left on it.

For each language the child chooses it on the start page (as a child would), then goes
through every questionnaire in every age band, page by page, and finishes; the start page's
messages, help, the list of languages, "talk to someone", "stop for now", both kinds of
"thank you" and the error page are rendered too. Any English source of a child's message
found on a page fails the test, naming the page.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from flask.testing import FlaskClient

from tests.factories import make_child
from tests.i18n.english import childs_sources, english_left, readable
from tests.support import QUESTIONNAIRE_CASES as CASES
from tests.support import make_config
from viewpoint import catalogs, create_app
from viewpoint.extensions import babel
from viewpoint.i18n import CHILD_LANGUAGES, available_languages, text_direction
from viewpoint.operations.invitations import issue_invitation

CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
TRANSLATED = [code for code in CHILD_LANGUAGES if code != "en"]


def _token(html: str) -> str:
    found = CSRF.search(html)
    assert found, "no CSRF token on the page"
    return found.group(1)


class Visit:
    """One child's way through the pages, keeping every page it saw."""

    def __init__(self, client: FlaskClient, address: str) -> None:
        self.client = client
        self.environ = {"REMOTE_ADDR": address}
        self.pages: dict[str, str] = {}

    def get(self, name: str, path: str, status: int = 200) -> str:
        reply = self.client.get(path, environ_base=self.environ)
        assert reply.status_code == status, f"{name}: {reply.status_code}"
        self.pages[name] = html = reply.get_data(as_text=True)
        return html

    def post(self, name: str | None, path: str, data: dict[str, object],
             status: int = 302) -> str:
        reply = self.client.post(path, data=data, environ_base=self.environ)
        assert reply.status_code == status, f"{name or path}: {reply.status_code}"
        html = reply.get_data(as_text=True)
        if name:
            self.pages[name] = html
        return reply.headers.get("Location", "") if status == 302 else html

    def choose_language(self, language: str, back: str = "/") -> None:
        reply = self.client.get(f"/language?back={back}", environ_base=self.environ)
        assert reply.status_code == 200
        page = reply.get_data(as_text=True)
        if f'lang="{language}"' in page.split(">", 2)[1]:  # in this language already
            self.pages["the list of languages"] = page
        assert self.post(None, "/language", {"csrf_token": _token(page), "language": language,
                                             "back": back}) == back


def _walk_questionnaire(visit: Visit, app, session, case: tuple, label: str,  # type: ignore[no-untyped-def]
                        ending: str) -> None:
    questionnaire_id, kind, band, age = case
    catalogue = app.extensions["viewpoint.questionnaires"]
    child = make_child(session, age=age, kind=kind, first_name="Amira")
    code = issue_invitation(session, catalogue, child, band=band, questionnaire_id=questionnaire_id,
                            language="en", offered_languages=available_languages()).code
    session.commit()
    start = visit.get(f"{label}: start", "/")
    assert visit.post(None, "/", {"csrf_token": _token(start), "code": code}) == "/welcome"
    welcome = visit.get(f"{label}: welcome", "/welcome")
    path = visit.post(None, "/start", {"csrf_token": _token(welcome)})
    definition = catalogue.get(questionnaire_id)
    talked = False
    while "/questions/" in path:
        html = visit.get(f"{label}: {path}", path)
        shown = re.findall(r'data-question="([a-z_0-9]+)"', html)
        # Every question on the page is sent, as a browser sends the page's form.
        form: dict[str, object] = {"csrf_token": _token(html), "action": "next",
                                   "question": shown}
        if ending == "worried":  # the answers that raise an alert, where there are any
            for key in shown:
                question = definition.question(key)
                if question.alert and question.alert.condition.any_of:
                    form[f"q-{key}"] = sorted(question.alert.condition.any_of)[0]
        if ending == "talk" and not talked:
            visit.post(f"{label}: talk to someone", "/talk", {"csrf_token": _token(html)}, 200)
            talked = True
        path = visit.post(None, path, form)
    assert path == "/finish", path
    finish = visit.get(f"{label}: finish", "/finish")
    visit.post(f"{label}: thank you ({ending})", "/finish",
               {"csrf_token": _token(finish), "helped_by": "nobody"}, 200)


def walk_every_page(client: FlaskClient, app, session, language: str) -> dict[str, str]:  # type: ignore[no-untyped-def]
    visit = Visit(client, f"127.0.{CHILD_LANGUAGES.index(language)}.1")
    visit.choose_language(language)
    visit.get("start", "/")
    for why in ("expired", "closed", "sent", "stale"):
        visit.get(f"start ({why})", f"/?why={why}")
    visit.post("start (wrong code)", "/", {"csrf_token": _token(visit.pages["start"]),
                                          "code": "ZZZ-ZZZ-ZZZ"}, 400)
    visit.get("help", "/help")
    visit.get("error page", "/no-such-page", 404)
    for number, case in enumerate(CASES):
        ending = "worried" if number == 1 else "talk" if number == 2 else "plain"
        label = f"{case[0]} {case[2]}"
        _walk_questionnaire(visit, app, session, case, label, ending)
        visit.choose_language(language)  # a new child on the tablet chooses again
    # Stopping for now, part way through.
    _child = make_child(session, age=9, first_name="Amira")
    code = issue_invitation(session, app.extensions["viewpoint.questionnaires"], _child,
                            language=language, offered_languages=available_languages()).code
    session.commit()
    assert visit.post(None, "/", {"csrf_token": _token(visit.get("start", "/")),
                                  "code": code}) == "/welcome"
    welcome = visit.get("welcome (invitation in this language)", "/welcome")
    visit.post("stopped", "/stop", {"csrf_token": _token(welcome)}, 200)
    return visit.pages


@pytest.mark.parametrize("language", TRANSLATED)
def test_every_child_page_is_in_the_childs_language(client, app, session, language: str) -> None:  # type: ignore[no-untyped-def]
    sources = childs_sources(language)
    pages = walk_every_page(client, app, session, language)
    assert len(pages) > 60
    wrong_language = {name: readable(html)[0] for name, html in pages.items()
                      if readable(html)[0] != language}
    assert wrong_language == {}
    left = {name: found for name, html in pages.items() if (found := english_left(html, sources))}
    assert left == {}, f"English left on {language} pages: {left}"
    direction = text_direction(language)
    assert all(f'dir="{direction}"' in html.split(">", 2)[1] for html in pages.values())


def test_the_check_finds_english_where_a_translation_is_missing(tmp_path: Path, app, session,  # type: ignore[no-untyped-def]
                                                                 client) -> None:
    """The same walk, with Polish missing one button and one question: both are found."""
    translations = tmp_path / "translations"
    shutil.copytree(catalogs.TRANSLATIONS, translations)
    po = translations / "pl" / "LC_MESSAGES" / "messages.po"
    with po.open("rb") as handle:
        catalog = read_po(handle, locale="pl")
    removed = [("Next", None), ("How safe do you feel where you live?",
                                "before-care-review/safe_home")]
    for english, context in removed:
        message = catalog.get(english, context=context)
        assert message is not None and message.string, english
        message.string = ""
    with (po.with_suffix(".mo")).open("wb") as handle:
        write_mo(handle, catalog)
    config = make_config(app.config["SQLALCHEMY_URL"], tmp_path / "instance",
                         BABEL_TRANSLATION_DIRECTORIES=str(translations))
    damaged = create_app(config)
    # Flask-Babel keeps loaded catalogs on the (shared) extension: load them afresh.
    translations_cache = babel.domain_instance.cache
    translations_cache.clear()
    try:
        with damaged.test_client() as other:
            pages = walk_every_page(other, damaged, session, "pl")
        sources = childs_sources("pl", translations)
        found = {english for html in pages.values() for english in english_left(html, sources)}
    finally:
        translations_cache.clear()
        damaged.extensions["viewpoint.engine"].dispose()
    assert {english for english, _context in removed} <= found
