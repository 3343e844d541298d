"""The helplines a child is pointed to when they want to talk to someone now.

Each questionnaire says which ones each age band sees (``help:`` in its definition; see
``FORMAT.md``), because the right help depends on age: Childline takes calls only from
people under 19, so a care leaver of 20 must be given services that take adults.

The facts here were checked against each service's own description of itself; whoever
changes a number, an age limit or the hours must check them again in the same way.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from markupsafe import Markup, escape


@dataclass(frozen=True)
class Helpline:
    id: str
    #: The service's own name (never translated).
    name: str
    #: As the child dials or texts it.
    number: str
    #: The link a phone follows: ``tel:`` or ``sms:``.
    href: str
    #: "call" or "text".
    how: str
    #: One or two sentences: who it is for, when, what it costs (translated; has
    #: ``%(name)s`` and ``%(number)s``).
    about: str
    #: The button (translated; has ``%(name)s`` and ``%(number)s``).
    button: str
    #: The word to text, for text services.
    keyword: str = ""

    def about_text(self) -> str:
        """The sentences in the page's language, as plain text (for reading aloud)."""
        return str(self.about) % {"name": self.name, "number": self.number,
                                  "word": self.keyword}

    def about_html(self) -> Markup:
        """The sentences with the name and number kept in their own direction."""
        return escape(str(self.about)) % {
            "name": Markup("<bdi>%s</bdi>") % self.name,
            "number": Markup('<bdi dir="ltr">%s</bdi>') % self.number,
            "word": Markup('<bdi dir="ltr">%s</bdi>') % self.keyword}

    def button_html(self) -> Markup:
        """The button's words, the number kept left to right inside a right-to-left
        sentence (else "116 123" shows as "123 116"). The name is left as it is: Chromium
        puts a space after an isolated word in a link's name ("Childline :")."""
        return escape(str(self.button)) % {
            "name": self.name,
            "number": Markup('<span dir="ltr">%s</span>') % self.number}


HELPLINES: dict[str, Helpline] = {line.id: line for line in (
    Helpline(
        "childline", "Childline", "0800 1111", "tel:08001111", "call",
        _l("%(name)s is for anyone under 19. Call free on %(number)s, any time, day or "
           "night. The call won't show on the phone bill."),
        _l("Call %(name)s: %(number)s")),
    Helpline(
        "samaritans", "Samaritans", "116 123", "tel:116123", "call",
        _l("%(name)s listens to anyone, of any age. Call free on %(number)s, any time, day "
           "or night. The call won't show on the phone bill."),
        _l("Call %(name)s: %(number)s")),
    Helpline(
        "shout", "Shout", "85258", "sms:85258?body=SHOUT", "text",
        _l("%(name)s is for anyone who is finding things hard and would rather write than "
           "talk. Text %(word)s to %(number)s, free, any time, day or night."),
        _l("Text %(name)s: %(number)s"), keyword="SHOUT"),
)}

#: Shown where no questionnaire says otherwise (the help page before a code is typed
#: lists every line, each saying who it is for).
DEFAULT_HELP = ("childline",)

#: What each band needs when a definition does not say: the youngest need Childline; care
#: leavers (16-25) need services that take adults, and Childline while they are under 19.
BAND_DEFAULT_HELP = {"16-25": ("samaritans", "shout", "childline")}


def for_band(help_by_band: dict[str, tuple[str, ...]] | None, band: str | None) -> list[Helpline]:
    """The helplines for ``band``, in order: the definition's own, else the band's default."""
    chosen = (help_by_band or {}).get(band or "") or BAND_DEFAULT_HELP.get(band or "") \
        or DEFAULT_HELP
    return [HELPLINES[key] for key in chosen if key in HELPLINES]


def every_helpline() -> list[Helpline]:
    return list(HELPLINES.values())
