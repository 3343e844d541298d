"""Load questionnaire definitions from YAML and check every rule in ``FORMAT.md``.

The work is shared out: ``reading.py`` reads the YAML (keeping line numbers) and the
indicators file, ``checks.py`` checks one questionnaire and builds it, and
``problems.py`` holds the mistakes found. This module puts them together for the app,
the ``viewpoint questionnaires check`` command and the tests.
"""

from __future__ import annotations

from pathlib import Path

from .checks import QuestionnaireChecker
from .definition import Catalogue, Indicator, Questionnaire
from .problems import DefinitionError, Problem
from .reading import INDICATORS_FILE, load_indicators, question_owners, read_yaml

__all__ = [
    "DEFINITIONS_DIR", "INDICATORS_FILE", "DefinitionError", "Problem", "check_definitions",
    "load_definitions",
]

#: The shipped definitions.
DEFINITIONS_DIR = Path(__file__).parent / "definitions"


def check_definitions(directory: Path | None = None,
                      static_dir: Path | None = None) -> tuple[Catalogue, list[Problem]]:
    """Load every definition in ``directory``; return what loaded and every problem found.

    Raises nothing for a mistake in a definition: each is a :class:`Problem` in the list.
    ``static_dir`` is where pictures and audio must exist; None skips that check.
    """
    directory = directory or DEFINITIONS_DIR
    problems: list[Problem] = []
    indicators = load_indicators(directory / INDICATORS_FILE, problems)
    files = sorted(p for p in directory.glob("*.yaml") if p.name != INDICATORS_FILE)
    for stray in sorted(directory.glob("*.yml")):
        problems.append(Problem(stray.name, "is not read: definitions must end in .yaml"))
    if not files:
        problems.append(Problem(directory.name, "holds no questionnaire definitions"))
    questionnaires: dict[str, Questionnaire] = {}
    for path in files:
        questionnaire = _check_file(path, indicators, static_dir, problems)
        if questionnaire is None:
            continue
        if questionnaire.id in questionnaires:
            problems.append(Problem(path.name, f"duplicate questionnaire id '{questionnaire.id}'"))
        questionnaires[questionnaire.id] = questionnaire
    return Catalogue(questionnaires, indicators), problems


def _check_file(path: Path, indicators: dict[str, Indicator], static_dir: Path | None,
                problems: list[Problem]) -> Questionnaire | None:
    """The questionnaire in one file, or None; its problems are added to ``problems``."""
    checker = QuestionnaireChecker(path, indicators, static_dir)
    data = read_yaml(path, checker.problems, question_owners)
    questionnaire = checker.run(data) if data is not None else None
    problems.extend(checker.problems)
    return questionnaire


def load_definitions(directory: Path | None = None, static_dir: Path | None = None) -> Catalogue:
    """Load and check every definition. Raises :class:`DefinitionError` listing every mistake."""
    catalogue, problems = check_definitions(directory, static_dir)
    if problems:
        raise DefinitionError(problems)
    return catalogue
