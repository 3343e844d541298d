"""Finding English left on a page that should be in another language.

A page's words come from the catalog; where a translation is missing, gettext shows the
English source instead. So the check looks for the English sources of the child's messages
in what a child can read or hear on the page: text, titles, labels, alternative text and the
messages the page's script shows. Text marked as another language (``lang="en"`` beside
"Language", each language's own name on the list of languages) is left out: it is meant to
be there; words marked ``data-untranslated`` (shown in English only because their
translation is missing) are not. Messages whose translation is the same as the English are
not looked for.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path

from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

from viewpoint import catalogs

_READ_ATTRIBUTES = ("title", "aria-label", "alt", "placeholder")
_VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source",
         "track", "wbr"}
_PLACEHOLDER = re.compile(r"%\(\w+\)[sd]|%%")


class _Readable(HTMLParser):
    """Collects the strings a child can read, skipping scripts and other-language parts."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.language = ""
        self.chunks: list[str] = []
        self._stack: list[tuple[str, bool]] = []  # (tag, inside another language or a script)

    def _skipping(self) -> bool:
        return bool(self._stack) and self._stack[-1][1]

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {name: value or "" for name, value in attrs}
        if tag == "html":
            self.language = values.get("lang", "")
        own = values.get("lang")
        # English the page marks as waiting for a translation is still English left on it.
        skip = (self._skipping() or tag in ("script", "style")
                or (own is not None and tag != "html" and own != self.language
                    and "data-untranslated" not in values))
        if not skip:
            self.chunks += [values[name] for name in _READ_ATTRIBUTES if values.get(name)]
            self.chunks += [value for name, value in values.items()
                            if name.startswith("data-msg-") and value]
        if tag not in _VOID:
            self._stack.append((tag, skip))

    def handle_endtag(self, tag: str) -> None:
        while self._stack:
            if self._stack.pop()[0] == tag:
                break

    def handle_data(self, data: str) -> None:
        if not self._skipping() and data.strip():
            self.chunks.append(data)


def readable(html: str) -> tuple[str, list[str]]:
    """(the page's language, every string on it a child can read)."""
    parser = _Readable()
    parser.feed(html)
    return parser.language, [" ".join(chunk.split()) for chunk in parser.chunks]


@dataclass(frozen=True)
class Source:
    english: str
    pattern: re.Pattern[str]
    #: Short messages ("Next") must make up a whole string to count; longer ones anywhere.
    whole: bool


def _pattern(english: str) -> re.Pattern[str]:
    parts = _PLACEHOLDER.split(" ".join(english.split()))
    markers = _PLACEHOLDER.findall(" ".join(english.split()))
    regex = ""
    for index, part in enumerate(parts):
        regex += re.escape(part)
        if index < len(markers):
            regex += "%" if markers[index] == "%%" else ".{1,80}?"
    return re.compile(regex)


def childs_sources(language: str, translations: Path | None = None) -> list[Source]:
    """The English of every message a child reads that ``language`` translates differently."""
    directory = translations or catalogs.TRANSLATIONS
    with (directory / language / "LC_MESSAGES" / "messages.mo").open("rb") as handle:
        compiled = {(m.context, m.id if isinstance(m.id, str) else m.id[0]): m.string
                    for m in read_mo(handle) if m.id}
    with catalogs.POT.open("rb") as handle:
        template = read_po(handle)
    found = []
    for message in template:
        if not message.id or not catalogs.is_childs(message):
            continue
        for english in (message.id if isinstance(message.id, tuple) else (message.id,)):
            key = (message.context, message.id if isinstance(message.id, str) else message.id[0])
            translated = compiled.get(key)
            strings = translated if isinstance(translated, (list, tuple)) else [translated]
            if translated and english in strings:
                continue  # the same in this language (a name, a number)
            letters = sum(ch.isalpha() for ch in _PLACEHOLDER.sub("", english))
            if letters < 3:
                continue
            found.append(Source(english, _pattern(english), whole=len(english.split()) <= 2))
    return found


def english_left(html: str, sources: list[Source]) -> list[str]:
    """The English sources found on the page (empty when none is)."""
    _language, chunks = readable(html)
    text = " | ".join(chunks)
    left = []
    for source in sources:
        if source.whole:
            if any(source.pattern.fullmatch(chunk) for chunk in chunks):
                left.append(source.english)
        elif source.pattern.search(text):
            left.append(source.english)
    return left
