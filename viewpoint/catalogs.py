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
import re
import sys
import tempfile
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.frontend import CommandLineInterface
from babel.messages.mofile import read_mo, write_mo
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parent.parent
TRANSLATIONS = ROOT / "translations"
POT = TRANSLATIONS / "messages.pot"
KEYWORDS = ["_", "_l", "gettext", "ngettext:1,2", "lazy_gettext", "pgettext:1c,2",
            "npgettext:1c,2,3", "lazy_pgettext:1c,2"]
_PLACEHOLDER = re.compile(r"%\((\w+)\)[sd]|\{(\w*)\}")
_TAG = re.compile(r"</?([a-zA-Z][a-zA-Z0-9]*)\b")


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


def placeholders(text: str) -> tuple[list[str], list[str]]:
    return (sorted("".join(m) for m in _PLACEHOLDER.findall(text)),
            sorted(_TAG.findall(text)))


def check() -> list[str]:
    """Every reason the catalogs are not ready to ship (empty when they are)."""
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
    for language in languages():
        po_path = TRANSLATIONS / language / "LC_MESSAGES" / "messages.po"
        catalog = _read(po_path)
        if _entries(catalog) != _entries(_read(POT)):
            problems.append(f"{language}: messages.po does not match messages.pot: "
                            "run `make translations`")
        for message in catalog:
            if not message.id or not message.string:
                continue
            sources = message.id if isinstance(message.id, tuple) else (message.id,)
            strings = message.string if isinstance(message.string, tuple) else (message.string,)
            expected = placeholders(sources[-1])
            for string in strings:
                if string and placeholders(string) != expected:
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
            shipped = read_mo(handle)
        compiled.seek(0)
        if {(m.context, m.id, m.string) for m in read_mo(compiled) if m.id} != \
                {(m.context, m.id, m.string) for m in shipped if m.id}:
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
