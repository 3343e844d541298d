"""Reading the uploaded file: its encoding, its delimiter, its header and its rows, with the
line each row starts on. A problem here is with the whole file, never one row."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator

from flask_babel import gettext as _

from .columns import COLUMN_NAMES, REQUIRED_COLUMNS

#: The most rows one file may hold (the app refuses uploads over 2 MB before this is read).
MAX_ROWS = 5000
#: The largest file read, in bytes (the same as the app's MAX_CONTENT_LENGTH).
MAX_BYTES = 2 * 1024 * 1024


class FileRefused(Exception):
    """The file as a whole cannot be read; the message says why."""

    def __init__(self, message: str, line: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.line = line


def decode(data: bytes) -> str:
    """The file's text. Raises :class:`FileRefused` for a file too large, empty, or not
    text (a spreadsheet, a PDF, UTF-16)."""
    if len(data) > MAX_BYTES:
        raise FileRefused(_("The file is larger than %(size)d MB. Split it into smaller files.",
                            size=MAX_BYTES // (1024 * 1024)))
    if b"\x00" in data:  # spreadsheets (.xlsx), PDFs, UTF-16 text: never a CSV export
        raise FileRefused(_("This is not a CSV file. In your spreadsheet, choose Save As and "
                            "\"CSV UTF-8\", then upload that file."))
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        try:
            # Older Excel saves "CSV (comma delimited)" in the Windows code page.
            text = data.decode("cp1252")
        except UnicodeDecodeError:
            raise FileRefused(_("This is not a CSV file. In your spreadsheet, choose Save As "
                                "and \"CSV UTF-8\", then upload that file.")) from None
    if not text.strip():
        raise FileRefused(_("The file is empty."))
    return text


def find_delimiter(text: str) -> tuple[str, int]:
    """The delimiter, from the first line that has something on it, and how many lines to
    skip before the header (Excel may start a file with a "sep=;" line)."""
    lines = io.StringIO(text, newline="")
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        if match := re.fullmatch(r"\s*sep=(.)\s*", line, flags=re.IGNORECASE):
            return match.group(1), number
        counts = {separator: line.count(separator) for separator in (",", ";", "\t")}
        best = max(counts, key=lambda separator: counts[separator])
        return (best if counts[best] else ","), 0
    return ",", 0


def normalise_header(name: str) -> str:
    """"Child Reference " -> "child_reference"."""
    return re.sub(r"[\s\-]+", "_", name.strip().lower()).strip("_")


def records(text: str) -> Iterator[tuple[int, list[str]]]:
    """(line number of the record's first line, cells) for every non-blank record."""
    separator, skip = find_delimiter(text)
    lines = io.StringIO(text, newline="")
    for _number in range(skip):
        lines.readline()
    reader = csv.reader(lines, delimiter=separator)
    line = skip
    while True:
        start = line + 1
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error:
            raise FileRefused(_("The file cannot be read as CSV from this line on. Check for a "
                                "quote mark that is not closed."), start) from None
        line = skip + reader.line_num
        cells = [cell.strip() for cell in cells]
        if any(cells):
            yield start, cells


def read_table(text: str) -> tuple[list[tuple[int, dict[str, str], bool]], list[str]]:
    """The rows as (line, {column: cell}, whether it has cells beyond the header's), and the
    columns in the file that the import does not read.

    Raises :class:`FileRefused` for a problem with the whole file.
    """
    found = records(text)
    try:
        header_line, header = next(found)
    except StopIteration:
        raise FileRefused(_("The file is empty.")) from None
    names = [normalise_header(name) for name in header]
    repeated = sorted({name for name in names if name and names.count(name) > 1})
    if repeated:
        raise FileRefused(_("These columns appear more than once in the first line: "
                            "%(columns)s.", columns=", ".join(repeated)), header_line)
    missing = [name for name in REQUIRED_COLUMNS if name not in names]
    if missing and len(names) == 1:  # not split at all: another delimiter, or not a CSV
        raise FileRefused(_("The first line must name every required column, with commas or "
                            "semicolons between them. Missing: %(columns)s.",
                            columns=", ".join(missing)), header_line)
    if missing:
        raise FileRefused(_("The first line must name every required column. Missing: "
                            "%(columns)s.", columns=", ".join(missing)), header_line)
    ignored = [name for name, raw in zip(names, header, strict=True)
               if name not in COLUMN_NAMES and raw]
    rows = []
    for line, cells in found:
        if len(rows) == MAX_ROWS:
            raise FileRefused(_("The file has more than %(limit)d rows. Split it into smaller "
                                "files.", limit=MAX_ROWS))
        rows.append((line, dict(zip(names, cells, strict=False)), any(cells[len(names):])))
    if not rows:
        raise FileRefused(_("The file has a header line but no rows."))
    return rows, ignored
