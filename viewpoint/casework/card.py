"""The words of the card a child is given with their code, in the child's language.

Its sentences are the child's words, not the worker's: every language offered to children
translates them (``viewpoint.catalogs`` counts this module with the child's pages).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from flask_babel import force_locale, get_translations
from flask_babel import gettext as _
from markupsafe import Markup, escape

from ..i18n import format_date, isolate, text_direction
from ..models import Invitation


@dataclass(frozen=True)
class CardLine:
    """One sentence of the child's card, and the language it is printed in."""

    text: Markup
    lang: str
    dir: str


class CardWords:
    """The child's card in the language the child will answer in (the invitation's), whatever
    the worker's pages are in: the child reads it, often before they can read English.

    A sentence not translated into that language yet is printed in English, marked as
    English, so that it is set left to right and read aloud as English inside an Urdu card.
    """

    def __init__(self, language: str) -> None:
        self.language = language
        with force_locale(language):
            self._translations = get_translations()
        self.english = language.replace("_", "-").split("-")[0] == "en"

    # Named ``gettext`` so that ``make translations`` finds each sentence where it is used.
    def gettext(self, message: str, **values: str | Callable[[], str]) -> CardLine:
        """``message`` in the child's language (else English) with ``values`` set in; a
        value may be a function, called in the language chosen (a date, say)."""
        language = self.language
        if not self.english and self._translations.gettext(message) == message:
            language = "en"
        with force_locale(language):
            text = escape(_(message))
            if values:
                text = text % {name: isolate(value() if callable(value) else value)
                               for name, value in values.items()}
        return CardLine(text, language.replace("_", "-"), text_direction(language))


def card_lines(invitation: Invitation) -> dict[str, CardLine]:
    """The card's sentences for ``invitation``, in the language it opens in."""
    words = CardWords(invitation.language)
    worker = (invitation.issued_by.display_name.split(" ")[0] if invitation.issued_by
              else None)
    return {
        "greeting": words.gettext("Hello %(name)s!", name=invitation.child.first_name),
        "asking": words.gettext("%(worker)s would like to know what you think before your "
                                "review.", worker=worker or words.gettext("Your worker").text),
        "go_to": words.gettext("Go to"),
        "scan": words.gettext("or scan the square, then type your code:"),
        "code": words.gettext("Code"),
        "expires": words.gettext(
            "Your code works until %(day)s. Keep it to yourself: it opens your answers.",
            day=lambda: format_date(invitation.expires_at, "d MMMM yyyy")),
    }
