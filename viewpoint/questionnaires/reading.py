"""Reading definition files: YAML that keeps line numbers, and the shared indicators file.

Every mapping read here remembers the line it starts on and the line of each key, so
that a problem found later can point at the exact line. Repeated keys, which plain
YAML silently lets the last one win, are reported instead.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml

from .definition import Indicator
from .problems import Problem

INDICATORS_FILE = "indicators.yaml"
THEMES = ("safety", "voice", "relationships", "home", "education", "wellbeing", "worker")

#: Question, option and indicator keys: lower-case letters, digits and _.
KEY = re.compile(r"^[a-z][a-z0-9_]*$")


# --- YAML with line numbers, duplicate-key detection and only true/false as booleans ---

class _Mapping(dict[Any, Any]):
    line: int = 0
    lines: dict[Any, int]


#: (key, line, the mapping it was repeated in)
_Duplicates = list[tuple[Any, int, _Mapping]]


class _Loader(yaml.SafeLoader):
    duplicates: _Duplicates


# YAML 1.1 reads yes/no/on/off as booleans, which would turn the answer key `no`
# into False. Only true and false are booleans in our files.
_Loader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:bool"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_Loader.add_implicit_resolver(
    "tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF"))


def _construct_mapping(loader: _Loader, node: yaml.MappingNode) -> _Mapping:
    mapping = _Mapping()
    mapping.line = node.start_mark.line + 1
    mapping.lines = {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        line = key_node.start_mark.line + 1
        if key in mapping:
            loader.duplicates.append((key, line, mapping))
        mapping[key] = loader.construct_object(value_node, deep=True)
        mapping.lines[key] = line
    return mapping


_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


def line_of(mapping: Any, key: str | None = None) -> int | None:
    """The line ``key`` is on in a mapping read by :func:`read_yaml` (else the mapping's own).

    None for anything that was not read from a file.
    """
    if isinstance(mapping, _Mapping):
        return mapping.lines.get(key, mapping.line) if key else mapping.line
    return None


def read_yaml(path: Path, problems: list[Problem],
              owner_of: Callable[[Any], dict[int, str]] | None = None) -> Any:
    """Parse one file. Problems (unreadable, invalid, empty, duplicate keys) go to ``problems``.

    Returns None if the file could not be read, is not valid YAML or is empty.
    ``owner_of(data)`` may return a map from ``id(mapping)`` to the question key that
    mapping belongs to, so that a duplicate key names its question.
    """
    source = _read_text(path, problems)
    if source is None:
        return None
    parsed = _parse(source, path.name, problems)
    if parsed is None:
        return None
    data, duplicates = parsed
    if data is None:
        problems.append(Problem(path.name, "is empty"))
        return None
    owners = owner_of(data) if owner_of else {}
    for key, line, mapping in duplicates:
        problems.append(Problem(path.name, f"duplicate key '{key}'", owners.get(id(mapping)),
                                line=line))
    return data


def _read_text(path: Path, problems: list[Problem]) -> str | None:
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        problems.append(Problem(path.name, f"cannot be read: {exc}"))
        return None


def _parse(source: str, file: str, problems: list[Problem]) -> tuple[Any, _Duplicates] | None:
    """The data in ``source`` and the keys repeated in it; None if it is not valid YAML."""
    loader = None
    try:
        loader = _Loader(source)
        loader.duplicates = []
        return loader.get_single_data(), loader.duplicates
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        problems.append(Problem(file, f"is not valid YAML: {getattr(exc, 'problem', exc)}",
                                line=mark.line + 1 if mark else None))
        return None
    finally:
        if loader is not None:
            loader.dispose()


def question_owners(data: Any) -> dict[int, str]:
    """``id`` of every mapping inside each question -> that question's key."""
    owners: dict[int, str] = {}

    def walk(node: Any, key: str) -> None:
        if isinstance(node, dict):
            owners[id(node)] = key
            for value in node.values():
                walk(value, key)
        elif isinstance(node, list):
            for value in node:
                walk(value, key)

    questions = data.get("questions") if isinstance(data, dict) else None
    for question in questions if isinstance(questions, list) else []:
        if isinstance(question, dict) and isinstance(question.get("key"), str):
            walk(question, question["key"])
    return owners


# --- the indicators file ---

def load_indicators(path: Path, problems: list[Problem]) -> dict[str, Indicator]:
    """Every well-formed indicator in ``path``; its mistakes go to ``problems``.

    An indicator without a usable id, label or theme is left out, so that a question
    naming it is reported too.
    """
    if not path.exists():
        problems.append(Problem(path.name, "is missing: indicators must be defined"))
        return {}
    data = read_yaml(path, problems)
    if not isinstance(data, dict) or not isinstance(data.get("indicators"), dict):
        problems.append(Problem(path.name, "must have an 'indicators' mapping"))
        return {}
    indicators = {}
    for key, spec in data["indicators"].items():
        indicator = _indicator(key, spec, path.name, line_of(data["indicators"], key), problems)
        if indicator is not None:
            indicators[key] = indicator
    return indicators


def _indicator(key: Any, spec: Any, file: str, line: int | None,
               problems: list[Problem]) -> Indicator | None:
    if not isinstance(key, str) or not KEY.match(key):
        problems.append(Problem(file, f"indicator id {key!r} must be lower-case letters, "
                                "digits and _", line=line))
        return None
    if not isinstance(spec, dict) or not isinstance(spec.get("label"), str):
        problems.append(Problem(file, f"indicator '{key}' needs a label", line=line))
        return None
    unknown = set(spec) - {"label", "theme"}
    if unknown:
        problems.append(Problem(file, f"indicator '{key}' has unknown key(s) "
                                f"{', '.join(sorted(unknown))}", line=line))
    theme = spec.get("theme")
    if theme not in THEMES:
        problems.append(Problem(file, f"indicator '{key}' has unknown theme {theme!r}; "
                                f"use {', '.join(THEMES)}", line=line))
        return None
    return Indicator(key, spec["label"].strip(), theme)
