"""Every word a child reads reaches the translators, with a context naming its question."""

from __future__ import annotations

from pathlib import Path

import pytest
from babel.messages.pofile import read_po

from viewpoint import catalogs
from viewpoint.questionnaires import load_definitions


@pytest.fixture(scope="module")
def extracted(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    pot = tmp_path_factory.mktemp("pot") / "messages.pot"
    catalogs.extract(pot)
    with pot.open("rb") as handle:
        return read_po(handle)


def test_every_question_and_option_is_extracted_with_its_context(extracted) -> None:  # type: ignore[no-untyped-def]
    entries = {(message.context, message.id) for message in extracted if message.id}
    catalogue = load_definitions()
    missing = []
    for questionnaire in catalogue.questionnaires.values():
        texts = [questionnaire.title, questionnaire.intro]
        for question in questionnaire.questions:
            texts += [question.text, question.hint, *(o.text for o in question.options)]
            if question.scale:
                texts += [question.scale.low, question.scale.high]
        for text in filter(None, texts):
            missing += [(text.context, m) for m in text.messages()
                        if (text.context, m) not in entries]
    assert missing == []


def test_contexts_name_the_questionnaire_and_question(extracted) -> None:  # type: ignore[no-untyped-def]
    contexts = {message.context for message in extracted if message.id}
    assert "before-care-review/safe_home" in contexts
    assert "before-pathway-review/title" in contexts
    assert "answer/not_sure" in contexts  # built-in wording, translated once


def test_translators_are_told_which_ages_read_each_question(extracted) -> None:  # type: ignore[no-untyped-def]
    message = next(m for m in extracted if m.context == "before-care-review/safe_home")
    assert any("Read by ages" in comment for comment in message.auto_comments)


def test_source_references_are_relative_to_the_repository(extracted) -> None:  # type: ignore[no-untyped-def]
    for message in extracted:
        for path, _line in message.locations:
            assert not Path(path).is_absolute(), path


def test_the_shipped_template_is_up_to_date() -> None:
    assert catalogs.check() == []


def test_a_stale_template_is_noticed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    stale = tmp_path / "messages.pot"
    text = catalogs.POT.read_text()
    # Drop one question's entry, as if a question had been added since the last extraction.
    start = text.index('msgctxt "before-care-review/safe_home"')
    end = text.index("\n\n", start)
    stale.write_text(text[:start] + text[end + 2:])
    monkeypatch.setattr(catalogs, "POT", stale)
    problems = catalogs.check()
    assert problems and "out of date" in problems[0]


def test_mismatched_placeholders_are_found() -> None:
    assert catalogs.placeholders("Hello %(name)s, <b>hi</b>") == (["name"], ["b", "b"])
    assert catalogs.placeholders("Bore da %(enw)s") != catalogs.placeholders("Hi %(name)s")


def _copy_translations(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    import shutil

    copied = tmp_path / "translations"
    shutil.copytree(catalogs.TRANSLATIONS, copied)
    monkeypatch.setattr(catalogs, "TRANSLATIONS", copied)
    monkeypatch.setattr(catalogs, "POT", copied / "messages.pot")
    return copied


def _change(path: Path, msgid: str, new: str, context: str | None = None) -> None:
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import write_po

    with path.open("rb") as handle:
        catalog = read_po(handle)
    message = catalog.get(msgid, context=context)
    assert message is not None, msgid
    message.string = new
    with path.open("wb") as handle:
        write_po(handle, catalog, width=100)
    with path.with_suffix(".mo").open("wb") as handle:
        write_mo(handle, catalog)


def test_a_language_missing_a_childs_message_is_refused(tmp_path: Path,  # type: ignore[no-untyped-def]
                                                      monkeypatch) -> None:
    copied = _copy_translations(tmp_path, monkeypatch)
    _change(copied / "ps" / "LC_MESSAGES" / "messages.po", "I'd rather not say", "")
    problems = catalogs.check()
    assert problems == ["ps: 1 messages a child reads have no translation, e.g. "
                        "\"I'd rather not say\" (templates/respond/macros.html)"]


def test_a_translation_with_a_different_placeholder_or_tag_is_refused(tmp_path: Path,  # type: ignore[no-untyped-def]
                                                                    monkeypatch) -> None:
    copied = _copy_translations(tmp_path, monkeypatch)
    po = copied / "pl" / "LC_MESSAGES" / "messages.po"
    _change(po, "Hi %(name)s!", "Cześć %(imie)s!")
    _change(po, "Question %(num)d of %(total)d", "Pytanie <b>%(num)d</b> z %(total)d")
    problems = catalogs.check()
    assert sorted(problems) == [
        "pl: placeholders or tags differ in 'Hi %(name)s!'",
        "pl: placeholders or tags differ in 'Question %(num)d of %(total)d'"]


def test_a_stale_compiled_catalog_and_a_missing_language_are_refused(tmp_path: Path,  # type: ignore[no-untyped-def]
                                                                   monkeypatch) -> None:
    import shutil

    copied = _copy_translations(tmp_path, monkeypatch)
    shutil.rmtree(copied / "ti")
    (copied / "sk" / "LC_MESSAGES" / "messages.mo").write_bytes(
        (copied / "ro" / "LC_MESSAGES" / "messages.mo").read_bytes())
    problems = catalogs.check()
    assert "ti: no catalog, but children are offered it: add " \
           "translations/ti/LC_MESSAGES/messages.po" in problems
    assert "sk: messages.mo is out of date: run `make translations`" in problems
