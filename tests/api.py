"""What the API tests share: tokens for service accounts, calls, and checking every reply
against the OpenAPI document the app serves."""

from __future__ import annotations

import time
from typing import Any

from flask.testing import FlaskClient
from jsonschema import Draft202012Validator, FormatChecker
from referencing import Registry, Resource
from sqlalchemy.orm import Session

from viewpoint.api.access import MINUTE
from viewpoint.operations.service_accounts import SCOPES, create_service_account
from viewpoint.throttle import seconds_left

ALL_SCOPES = list(SCOPES)


def in_one_minute() -> None:
    """API calls are counted per minute of the clock: a test that counts them starts where
    the minute has time enough left for all of them (a count crossing into the next minute
    starts again, as it should)."""
    left = seconds_left(MINUTE)
    if left < 10:
        time.sleep(left + 0.5)


def make_token(session: Session, *, scopes: list[str] | None = None,
               teams: list[Any] = (), name: str | None = None, **options: Any) -> str:
    """A new service account's token (all scopes and every team unless told otherwise)."""
    made = create_service_account(
        session, name=name or f"System {len(session.new)}-{id(options)}",
        scopes=ALL_SCOPES if scopes is None else scopes,
        team_ids=[team.id for team in teams], **options)
    session.flush()
    return made.token


def call(client: FlaskClient, method: str, url: str, token: str | None = None,
         body: Any = None, **headers: str) -> Any:
    if token is not None:
        headers["Authorization"] = f"Bearer {token}"
    return client.open(url, method=method, json=body, headers=headers)


class Document:
    """The served OpenAPI document, to check replies against its schemas."""

    def __init__(self, client: FlaskClient) -> None:
        self.body = client.get("/api/v1/openapi.json").get_json()
        resource = Resource.from_contents(
            {"$schema": "https://json-schema.org/draft/2020-12/schema", **self.body})
        self.registry = Registry().with_resource("urn:viewpoint:openapi", resource)

    def check(self, schema: str, value: Any) -> None:
        """Raises ``jsonschema.ValidationError`` when ``value`` is not a ``schema``."""
        validator = Draft202012Validator(
            {"$ref": f"urn:viewpoint:openapi#/components/schemas/{schema}"},
            registry=self.registry, format_checker=FormatChecker())
        validator.validate(value)

    def operations(self) -> list[tuple[str, str, str]]:
        """(method, path, scope) of every operation that needs a token."""
        return [(method.upper(), "/api/v1" + path, operation["x-scope"])
                for path, methods in self.body["paths"].items()
                for method, operation in methods.items()]
