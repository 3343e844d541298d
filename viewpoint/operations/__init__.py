"""What happens to children's records, whichever way in it comes from.

The screens (``respond`` for the child, ``casework`` for staff, ``dashboards`` for the
panel, ``admin``, ``api`` for the council's systems) and the other ways in (the command
line, the demo, a CSV import) never
change a record themselves and never import each other: each calls a named operation
here, which checks the rules, makes the change, writes the audit trail and flushes. The
caller commits (one commit per request: ``extensions.Database``).

- ``children``: children, plans and reviews, with every rule a form or an import must meet;
- ``imports``: many of them at once (a CSV import), checked by the same rules;
- ``invitations``: codes, who can be invited for which review, and in what;
- ``answers``: a child's answers saved one by one, changing language, sending;
- ``alerts``: what an answer raises, who is told, acknowledging and closing;
- ``feedback``: "you said, we did", and the examples the Children in Care Council sees;
- ``totals``: the anonymised totals the dashboards read, kept up to date as things happen;
- ``service_accounts``: the council's systems' tokens, scopes and teams;
- ``webhooks``: events for those systems, through an outbox.

Nothing here imports a screen; ``make lint`` checks it (import-linter contracts in
``pyproject.toml``).
"""


class Refusal(ValueError):
    """A request an operation cannot carry out. ``str()`` is a translated sentence safe to
    show staff; ``field`` names the form field it is about, or is None."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field
