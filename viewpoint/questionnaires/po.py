"""A questionnaire's words for a translator, as a gettext PO file, and back.

Translators and their tools (Poedit, Weblate, Lokalize, OmegaT) read PO files. Each text
of one version is one message: its context names the text
(``back-home/safe_now/yes``), its English is the message id, and an automatic comment
says where it appears and which age bands read it. The words the council has now (its own,
or the app's catalogs') are filled in, with a comment saying whether a reviewer has approved
them, so a translator corrects rather than starts again.

A file coming back is checked as the app's own catalogs are (``viewpoint.catalogs``): the
same placeholders and markup as the English, every message one of this version's texts.
Every problem is named by its line; a file with any problem changes nothing.
"""

from __future__ import annotations

import io
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from babel import Locale, UnknownLocaleError
from babel.messages.catalog import Catalog
from babel.messages.pofile import PoFileError, read_po, write_po

from ..i18n import placeholders
from .definition import Questionnaire
from .extract import Message, messages_of

#: (context, English): the place of one text.
Place = tuple[str, str]

#: Longest translation accepted for one text (the longest English is a few hundred letters).
LONGEST = 2000

#: What the words filled in are, as the comment above them says.
STATES = {
    "approved": "Approved by a reviewer.",
    "draft": "A draft: no reviewer has approved it yet.",
    "app": "The app's own translation.",
}


def texts_of(questionnaire: Questionnaire) -> dict[Place, Message]:
    """Each text of the questionnaire once (the first place it appears), in order."""
    found: dict[Place, Message] = {}
    for message in messages_of(questionnaire):
        found.setdefault((message.context, message.english), message)
    return found


def write(questionnaire: Questionnaire, version: int, language: str,
          current: Mapping[Place, tuple[str, str]]) -> bytes:
    """The PO file of one version's texts in ``language``. ``current`` gives, for texts
    that have words in the language now, (the words, their state: a key of ``STATES``)."""
    catalog = Catalog(locale=_locale(language), project=f"viewpoint {questionnaire.id}",
                      version=f"version {version}", fuzzy=False,
                      msgid_bugs_address="", copyright_holder="")
    for place, message in texts_of(questionnaire).items():
        words, state = current.get(place, ("", ""))
        comments = [message.comment]
        if state:
            comments.append(STATES[state])
        catalog.add(message.english, words, context=message.context, auto_comments=comments)
    out = io.BytesIO()
    write_po(out, catalog, width=0, omit_header=False, sort_output=False)
    return out.getvalue()


@dataclass
class Read:
    """A PO file read back: the words to store and every problem (by line)."""

    translations: dict[Place, str] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)
    #: Messages a translator marked as needing work ("fuzzy"): not taken.
    fuzzy: int = 0
    #: Messages left empty.
    empty: int = 0


def read(data: bytes, questionnaire: Questionnaire, language: str) -> Read:
    """The translations in a PO file for ``questionnaire`` in ``language``, checked."""
    result = Read()
    wanted = texts_of(questionnaire)
    try:
        catalog = read_po(io.BytesIO(data), abort_invalid=True, charset="utf-8")
    except (PoFileError, UnicodeDecodeError, ValueError) as exc:
        result.problems.append(f"The file could not be read as a PO file: {exc}")
        return result
    declared = (catalog.locale_identifier or "").replace("-", "_")
    if declared and declared.split("_")[0] != language:
        result.problems.append(f"The file is for language '{declared}', not '{language}'.")
    seen: set[Place] = set()
    found = _messages(catalog)
    if not found and not result.problems:
        result.problems.append("The file holds none of this version's texts: is it the PO "
                               "file downloaded from this page?")
    for message in found:
        line = f"Line {message.lineno}"
        if not isinstance(message.id, str) or message.pluralizable:
            result.problems.append(f"{line}: plural forms are not used in questionnaires.")
            continue
        place = (message.context or "", message.id)
        if place not in wanted:
            result.problems.append(
                f"{line}: “{_short(message.id)}” (context {message.context or 'none'}) is not "
                f"a text of this version: export the file again from this version.")
            continue
        if place in seen:
            result.problems.append(f"{line}: “{_short(message.id)}” is in the file twice.")
            continue
        seen.add(place)
        words = message.string if isinstance(message.string, str) else ""
        if message.fuzzy:
            result.fuzzy += 1
            continue
        if not words.strip():
            result.empty += 1
            continue
        problem = _problem(message.id, words)
        if problem:
            result.problems.append(f"{line}: {problem}")
            continue
        result.translations[place] = words.strip()
    return result


def _messages(catalog: Catalog) -> list[Any]:
    # Babel's catalog holds the header as the message with an empty id; obsolete
    # messages (#~) are kept apart and never taken.
    return [message for message in catalog if message.id]


def _problem(english: str, words: str) -> str | None:
    if "\x00" in words:
        return "the translation has a character that cannot be stored (NUL)."
    if len(words) > LONGEST:
        return f"the translation is longer than {LONGEST} characters."
    if placeholders(english) != placeholders(words):
        names, tags = placeholders(english)
        return ("the translation must keep the English's placeholders and markup "
                f"({', '.join(names + tags) or 'none'}), no more and no fewer.")
    return None


def _short(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= 60 else text[:57] + "…"


def _locale(language: str) -> Locale | None:
    try:
        return Locale.parse(language)
    except (UnknownLocaleError, ValueError):
        return None
