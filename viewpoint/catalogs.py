"""Translation catalogs: extract, update and compile them, and check they are up to date.

``python -m viewpoint.catalogs update`` (``make translations``) extracts every string from
the code, templates and questionnaire definitions into ``translations/messages.pot``,
merges it into each language's ``messages.po`` and compiles ``messages.mo``.
``python -m viewpoint.catalogs check`` (run by ``make test``) fails when the template or a
compiled catalog is out of date, or a translation's placeholders differ from its source.
"""

from __future__ import annotations

import io
import os
import sys
import tempfile
from pathlib import Path

from babel.messages.catalog import Catalog, Message
from babel.messages.frontend import CommandLineInterface
from babel.messages.mofile import read_mo, write_mo
from babel.messages.pofile import read_po

from .i18n import placeholders

ROOT = Path(__file__).resolve().parent.parent
TRANSLATIONS = ROOT / "translations"
POT = TRANSLATIONS / "messages.pot"
KEYWORDS = ["_", "_l", "gettext", "ngettext:1,2", "lazy_gettext", "pgettext:1c,2",
            "npgettext:1c,2,3", "lazy_pgettext:1c,2"]
#: Where the words a child reads come from. Every language offered to children must
#: translate every message used here; the rest (staff pages) only in the staff languages.
CHILD_SOURCES = ("templates/respond/", "templates/errors/child.html", "viewpoint/respond/",
                 "viewpoint/questionnaires/definitions/", "viewpoint/questionnaires/helplines.py",
                 "viewpoint/casework/card.py")
_NOT_CHILD_SOURCES = ("viewpoint/questionnaires/definitions/indicators.yaml",)


def _shown(path: Path) -> str:
    """A path as people see it in messages: relative to the repository where possible."""
    return str(path.relative_to(ROOT)) if path.is_relative_to(ROOT) else str(path)


def _pybabel(*args: str) -> None:
    # From the repository root, so that source references are relative paths.
    previous = Path.cwd()
    os.chdir(ROOT)
    try:
        CommandLineInterface().run(["pybabel", "--quiet", *args])
    finally:
        os.chdir(previous)


def extract(output: Path) -> None:
    """Write every translatable string to ``output`` (a .pot file)."""
    keywords = [arg for keyword in KEYWORDS for arg in ("-k", keyword)]
    _pybabel("extract", "-F", str(ROOT / "babel.cfg"), "--no-default-keywords", *keywords,
             "--add-comments=Translators:", "--sort-by-file", "--project=viewpoint",
             "--copyright-holder=viewpoint", "--width=100", "-o", str(output), ".")


def languages() -> list[str]:
    found = TRANSLATIONS.glob("*/LC_MESSAGES/messages.po")
    return sorted(path.parent.parent.name for path in found)


def _read(path: Path) -> Catalog:
    with path.open("rb") as handle:
        return read_po(handle)


def is_childs(message: Message) -> bool:
    """Whether a child reads this message (any of its source references is a child's page,
    or a questionnaire a child answers)."""
    return any(path.startswith(CHILD_SOURCES) and not path.startswith(_NOT_CHILD_SOURCES)
               for path, _line in message.locations)


def _entries(catalog: Catalog) -> set[tuple[str | None, object]]:
    return {(message.context, message.id) for message in catalog if message.id}


def update() -> None:
    """Extract, merge into every language, compile."""
    extract(POT)
    for language in languages():
        _pybabel("update", "-i", str(POT), "-d", str(TRANSLATIONS), "-l", language,
                 "--width=100", "--no-fuzzy-matching")
    for language in languages():
        _pybabel("compile", "-d", str(TRANSLATIONS), "-l", language, "--statistics")
    print(f"{_shown(POT)}: {len(_entries(_read(POT)))} messages; "
          f"languages: {', '.join(languages()) or 'none yet'}")


def _compiled(messages: Catalog) -> set[tuple[object, object, object]]:
    def frozen(value: object) -> object:
        return tuple(value) if isinstance(value, list) else value

    return {(m.context, frozen(m.id), frozen(m.string)) for m in messages if m.id}


def _missing(message: Message) -> bool:
    strings = message.string if isinstance(message.string, (tuple, list)) else (message.string,)
    return not all(string and string.strip() for string in strings)


def check() -> list[str]:
    """Every reason the catalogs are not ready to ship (empty when they are): the template
    out of date with the code and definitions; a language offered to children without a
    catalog, or missing any message a child reads; a staff language missing any message; a
    translation whose placeholders or tags differ from its source; a stale compiled file.
    """
    from .i18n import CHILD_LANGUAGES, STAFF_LANGUAGES

    problems: list[str] = []
    with tempfile.TemporaryDirectory() as scratch:
        fresh = Path(scratch) / "messages.pot"
        extract(fresh)
        if not POT.exists():
            return [f"{_shown(POT)} is missing: run `make translations`"]
        current, wanted = _entries(_read(POT)), _entries(_read(fresh))
        if current != wanted:
            problems.append(f"{_shown(POT)} is out of date "
                            f"({len(wanted - current)} new, {len(current - wanted)} gone): "
                            "run `make translations`")
    shipped = languages()
    problems += [f"{language}: no catalog, but children are offered it: add "
                 f"translations/{language}/LC_MESSAGES/messages.po"
                 for language in CHILD_LANGUAGES if language != "en" and language not in shipped]
    for language in shipped:
        po_path = TRANSLATIONS / language / "LC_MESSAGES" / "messages.po"
        catalog = _read(po_path)
        if _entries(catalog) != _entries(_read(POT)):
            problems.append(f"{language}: messages.po does not match messages.pot: "
                            "run `make translations`")
        everything = language in STAFF_LANGUAGES
        untranslated = [m for m in catalog if m.id and _missing(m)
                        and (everything or is_childs(m))]
        if untranslated:
            first = untranslated[0]
            where = "" if everything else " a child reads"
            found_in = next((path for path, _line in first.locations
                             if everything or path.startswith(CHILD_SOURCES)),
                            first.locations[0][0])
            problems.append(f"{language}: {len(untranslated)} messages{where} have no "
                            f"translation, e.g. {first.id!r} ({found_in})")
        for message in catalog:
            if not message.id or not message.string:
                continue
            sources = message.id if isinstance(message.id, tuple) else (message.id,)
            strings = (tuple(message.string) if isinstance(message.string, (tuple, list))
                       else (message.string,))
            expected_names, expected_tags = placeholders(sources[-1])
            for string in strings:
                if not string:
                    continue
                names, tags = placeholders(string)
                # A plural form may say "one" in words rather than "%(num)d".
                names_ok = (set(names) <= set(expected_names) if len(strings) > 1
                            else names == expected_names)
                if not names_ok or tags != expected_tags:
                    problems.append(f"{language}: placeholders or tags differ in "
                                    f"{message.context + ': ' if message.context else ''}"
                                    f"{sources[0]!r}")
        mo_path = po_path.with_suffix(".mo")
        if not mo_path.exists():
            problems.append(f"{language}: messages.mo is missing: run `make translations`")
            continue
        compiled = io.BytesIO()
        write_mo(compiled, catalog)
        with mo_path.open("rb") as handle:
            on_disk = read_mo(handle)
        compiled.seek(0)
        if _compiled(read_mo(compiled)) != _compiled(on_disk):
            problems.append(f"{language}: messages.mo is out of date: run `make translations`")
    return problems


def main(argv: list[str]) -> int:
    if argv[1:] == ["update"]:
        update()
        return 0
    if argv[1:] == ["check"]:
        problems = check()
        for problem in problems:
            print(problem, file=sys.stderr)
        if not problems:
            print("Translation catalogs are up to date.")
        return 1 if problems else 0
    print("usage: python -m viewpoint.catalogs update|check", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
