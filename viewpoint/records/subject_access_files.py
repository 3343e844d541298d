"""A subject access export as a file to download: the one way both the manager's page and
the administrator's produce it, audited the same."""

from __future__ import annotations

import json

from flask import Response as FlaskResponse
from sqlalchemy.orm import Session

from ..models import Child, User
from ..questionnaires import Catalogue
from .pdf import subject_access_pdf
from .subject_access import Redaction, SubjectAccessForm, as_json, gather, record_export


def produce(session: Session, catalogue: Catalogue, child: Child, by: User,
            form: SubjectAccessForm, kind: str) -> FlaskResponse:
    """The PDF (``kind`` "pdf") or machine-readable file ("json") of everything held about
    ``child``, redacted as ``form`` says, with the audit row that says it was produced."""
    redaction = Redaction(words=tuple(form.words()),
                          colleagues_by_role=bool(form.colleagues_by_role.data))
    record = gather(session, catalogue, child, by, redaction)
    record_export(session, child, by, kind, redaction)
    stem = f"subject-access-{child.reference}-{record.produced_at:%Y-%m-%d}"
    if kind == "json":
        body = json.dumps(as_json(record), ensure_ascii=False, indent=2).encode()
        mimetype, name = "application/json", f"{stem}.json"
    else:
        body, mimetype, name = subject_access_pdf(record), "application/pdf", f"{stem}.pdf"
    response = FlaskResponse(body, mimetype=mimetype)
    response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    response.headers["Cache-Control"] = "no-store"
    return response
