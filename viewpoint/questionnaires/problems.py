"""A mistake in a definition file, and the error that lists every one of them."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Problem:
    """One mistake in one file."""

    file: str
    message: str
    question: str | None = None
    line: int | None = None

    def __str__(self) -> str:
        where = self.file + (f":{self.line}" if self.line else "")
        if self.question:
            where += f": question '{self.question}'"
        return f"{where}: {self.message}"


class DefinitionError(Exception):
    """Raised when definitions have mistakes; ``problems`` lists every one."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        super().__init__("\n".join(str(problem) for problem in problems))
