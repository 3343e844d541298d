#!/usr/bin/env python3
"""Connect a case-management system to viewpoint through its API: an example to adapt.

Two jobs a council runs every few minutes (or nightly):

1. **Push** children, their plans and reviews from the case-management system, so that
   nobody types them twice. Each record is sent with PUT to its case-management reference:
   sending the same record again changes nothing, so the whole export can be sent each time.
2. **Pull** the responses children have sent since the last run, and save each one as the
   JSON record and the PDF to attach to the child's file.

It uses only Python's standard library. The token comes from the environment
(``VIEWPOINT_TOKEN``), never from the command line (where other users could read it); an
administrator makes it under Admin > Connected systems with the scopes ``children:write``,
``children:read`` and ``responses:read``.

    VIEWPOINT_TOKEN=vpt_... python cms_sync.py --url https://viewpoint.example.gov.uk \\
        --children export.json --out received/ --state state.json

``export.json`` is what your system exports, shaped like this (fields as the API documents
them at /api/v1/openapi.json):

    [{"reference": "CMS-1042", "first_name": "Maya", "last_name": "Oakes",
      "date_of_birth": "2014-05-04", "preferred_language": "pl",
      "plans": [{"reference": "PLAN-77", "kind": "care_plan", "placement_type": "foster",
                 "started_on": "2024-01-15",
                 "reviews": [{"reference": "REV-301", "due_on": "2026-12-20"}]}]}]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode


class Viewpoint:
    """A few lines over urllib: JSON in and out, a wait when asked to, errors as problems."""

    def __init__(self, url: str, token: str) -> None:
        self.url = url.rstrip("/")
        self.token = token

    def call(self, method: str, path: str, body: Any = None) -> tuple[int, Any, bytes]:
        data = json.dumps(body).encode() if body is not None else None
        for _attempt in range(5):
            # (Only this service's own https:// address, or a "next" link it gave.)
            request = urllib.request.Request(  # noqa: S310
                path if path.startswith("http") else self.url + path, data=data, method=method,
                headers={"Authorization": f"Bearer {self.token}",
                         "Content-Type": "application/json", "Accept": "application/json"})
            try:
                with urllib.request.urlopen(request, timeout=30) as answer:  # noqa: S310
                    raw = answer.read()
                    status = answer.status
                    kind = answer.headers.get("Content-Type", "")
            except urllib.error.HTTPError as error:
                raw, status, kind = error.read(), error.code, error.headers.get(
                    "Content-Type", "")
                if status == 429:  # too many calls this minute: wait as asked, then again
                    time.sleep(int(error.headers.get("Retry-After", "5")))
                    continue
            parsed = json.loads(raw) if "json" in kind and raw else None
            return status, parsed, raw
        raise RuntimeError(f"{method} {path}: still asked to wait after 5 tries")


def push(api: Viewpoint, children: list[dict[str, Any]]) -> int:
    """Send every child, plan and review; print what viewpoint refused. Returns how many
    records were refused."""
    refused = 0

    def send(path: str, body: dict[str, Any]) -> None:
        nonlocal refused
        status, answer, _raw = api.call("PUT", path, body)
        if status >= 400:
            refused += 1
            problems = "; ".join(f"{error['pointer']}: {error['detail']}"
                                 for error in (answer or {}).get("errors", [])) \
                or (answer or {}).get("detail", status)
            print(f"refused {path}: {problems}", file=sys.stderr)

    for child in children:
        reference = child["reference"]
        fields = {key: value for key, value in child.items()
                  if key not in ("reference", "plans")}
        send(f"/api/v1/children/{quote(reference, safe='')}", fields)
        for plan in child.get("plans", []):
            plan_fields = {key: value for key, value in plan.items()
                           if key not in ("reference", "reviews")}
            send(f"/api/v1/plans/{quote(plan['reference'], safe='')}",
                 {"child_reference": reference, **plan_fields})
            for review in plan.get("reviews", []):
                review_fields = {key: value for key, value in review.items()
                                 if key != "reference"}
                send(f"/api/v1/reviews/{quote(review['reference'], safe='')}",
                     {"plan_reference": plan["reference"], **review_fields})
    return refused


def pull(api: Viewpoint, out: Path, since: str | None) -> str | None:
    """Save every response sent after ``since`` as JSON and PDF; returns the newest moment
    seen (to start from next time)."""
    out.mkdir(parents=True, exist_ok=True)
    query = {"limit": "100"}
    if since:
        query["submitted_after"] = since
    page: str | None = f"/api/v1/responses?{urlencode(query)}"
    newest = since
    while page:
        status, listing, _raw = api.call("GET", page)
        if status != 200:
            raise RuntimeError(f"listing responses: {status} {listing}")
        for item in listing["items"]:
            name = f"{item['child_reference'].replace('/', '_')}-{item['id']}"
            _status, record, _raw = api.call("GET", f"/api/v1/responses/{item['id']}")
            (out / f"{name}.json").write_text(json.dumps(record, ensure_ascii=False, indent=2),
                                               encoding="utf-8")
            _status, _none, pdf = api.call("GET", f"/api/v1/responses/{item['id']}/pdf")
            (out / f"{name}.pdf").write_bytes(pdf)
            print(f"saved {name} (sent {item['submitted_at']})")
            newest = item["submitted_at"]
        page = listing["next"]
    return newest


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", required=True, help="viewpoint's address")
    parser.add_argument("--children", type=Path, help="the case-management export (JSON)")
    parser.add_argument("--out", type=Path, default=Path("received"),
                        help="where to save responses")
    parser.add_argument("--state", type=Path, default=Path("state.json"),
                        help="remembers the last response saved")
    options = parser.parse_args(argv)
    token = os.environ.get("VIEWPOINT_TOKEN")
    if not token:
        parser.error("set VIEWPOINT_TOKEN to the system's token")
    api = Viewpoint(options.url, token)
    refused = 0
    if options.children:
        refused = push(api, json.loads(options.children.read_text(encoding="utf-8")))
    state = json.loads(options.state.read_text()) if options.state.exists() else {}
    state["since"] = pull(api, options.out, state.get("since"))
    options.state.write_text(json.dumps(state))
    return 1 if refused else 0


if __name__ == "__main__":
    sys.exit(main())
