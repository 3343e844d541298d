"""Questionnaire definitions: the YAML files, and the code that loads, checks and snapshots them.

See ``FORMAT.md`` for the file format.
"""

from .definition import (
    BANDS,
    Band,
    Catalogue,
    Condition,
    Indicator,
    Option,
    Question,
    Questionnaire,
)
from .loader import DefinitionError, Problem, check_definitions, load_definitions

__all__ = [
    "BANDS", "Band", "Catalogue", "Condition", "DefinitionError", "Indicator", "Option",
    "Problem", "Question", "Questionnaire", "check_definitions", "load_definitions",
]
