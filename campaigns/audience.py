"""Streaming parser for the bulk-campaign audience CSV (R16).

Pure Python on purpose (no Django): errors are stable codes plus params and
the UI translates them. The file is read in chunks, never whole, so memory
stays flat whatever its size, except for the phones kept to spot duplicates.
"""

import codecs
import csv
import itertools
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import BinaryIO

from bots.phones import InvalidPhone, normalize_phone

CHUNK_SIZE = 64 * 1024
_HEADER_NAME = re.compile(r"[A-Za-z0-9_]+")
_LINE_END = re.compile(r"\r\n|\r|\n")


@dataclass(frozen=True, slots=True)
class AudienceRow:
    line: int
    phone: str
    extras: dict[str, str]


@dataclass(frozen=True, slots=True)
class AudienceError:
    line: int
    code: str
    params: dict


class AudienceFileError(ValueError):
    """The file as a whole is unusable; nothing in it can be imported."""

    def __init__(self, code: str, params: dict | None = None) -> None:
        super().__init__(code, params or {})
        self.code = code
        self.params = params or {}


@dataclass
class AudienceSummary:
    header: list[str]
    phone_column: str
    delimiter: str
    encoding: str
    total_rows: int = 0
    valid_rows: int = 0
    error_count: int = 0
    duplicates: int = 0
    errors: list[AudienceError] = field(default_factory=list)
    preview: list[AudienceRow] = field(default_factory=list)
    # Valid rows with an empty cell, per column: step 2 warns when such a column fills a variable.
    empty_cells: dict[str, int] = field(default_factory=dict)


class AudienceParser:
    """Iterate once over an audience file, yielding AudienceRow or AudienceError.

    The header is read and checked on construction, so AudienceFileError
    surfaces before any row. The file object must be binary and seekable.
    ``detect_duplicates=False`` leaves repeated phones to the caller (the audience store drops
    them in the database) instead of remembering every phone seen: a million of them would
    take some 130 MB.
    """

    def __init__(
        self, fileobj: BinaryIO, *, default_region: str = "BR", detect_duplicates: bool = True
    ) -> None:
        self.default_region = default_region
        self.detect_duplicates = detect_duplicates
        self.encoding = _detect_encoding(fileobj)
        lines = _read_lines(fileobj, self.encoding)
        skipped, first = _first_non_blank(lines)
        if first is None:
            raise AudienceFileError("file_empty")
        self.delimiter = _pick_delimiter(first)
        # Leading blank lines are tolerated; the reader's line_num starts at
        # the header, so they are added back to every reported line.
        self._offset = skipped
        self._reader = csv.reader(itertools.chain([first], lines), delimiter=self.delimiter)
        names = _trim_trailing_empty([cell.strip() for cell in next(self._reader)])
        _check_header(names, default_region)
        self.phone_column = names[0].lower()
        self.header = [name.lower() for name in names[1:]]
        self._seen: dict[str, int] = {}

    def __iter__(self) -> Iterator[AudienceRow | AudienceError]:
        reader = self._reader
        while True:
            start = reader.line_num + 1 + self._offset
            try:
                record = next(reader)
            except StopIteration:
                return
            except csv.Error:
                # Only an oversized field (a runaway quote) gets here; the
                # reader resets and carries on with the next line.
                yield AudienceError(start, "row_malformed", {})
                continue
            cells = [cell.strip() for cell in record]
            if any(cells):
                yield self._parse_row(start, cells)

    def _parse_row(self, line: int, cells: list[str]) -> AudienceRow | AudienceError:
        expected = len(self.header) + 1
        # Spreadsheets often end every line with a delimiter; empty cells past
        # the last column are noise, anything else is a misaligned row.
        trimmed = _trim_trailing_empty(cells, keep=expected)
        if len(trimmed) != expected:
            return AudienceError(
                line, "wrong_column_count", {"expected": expected, "found": len(cells)}
            )
        try:
            phone = normalize_phone(trimmed[0], self.default_region)
        except InvalidPhone as exc:
            return AudienceError(line, exc.code, {"value": trimmed[0]})
        first_line = self._seen.setdefault(phone, line) if self.detect_duplicates else line
        if first_line != line:
            return AudienceError(
                line, "duplicate_phone", {"phone": phone, "first_line": first_line}
            )
        return AudienceRow(line, phone, dict(zip(self.header, trimmed[1:], strict=True)))


def summarize_audience(
    fileobj: BinaryIO,
    preview_rows: int = 5,
    max_errors: int | None = None,
    *,
    default_region: str = "BR",
) -> AudienceSummary:
    """Walk the file once; keep counts, the first valid rows and (up to max_errors) errors."""
    parser = AudienceParser(fileobj, default_region=default_region)
    summary = AudienceSummary(parser.header, parser.phone_column, parser.delimiter, parser.encoding)
    for item in parser:
        summary.total_rows += 1
        if isinstance(item, AudienceRow):
            summary.valid_rows += 1
            if len(summary.preview) < preview_rows:
                summary.preview.append(item)
            for column, value in item.extras.items():
                if not value:
                    summary.empty_cells[column] = summary.empty_cells.get(column, 0) + 1
            continue
        summary.error_count += 1
        summary.duplicates += item.code == "duplicate_phone"
        if max_errors is None or len(summary.errors) < max_errors:
            summary.errors.append(item)
    return summary


def _detect_encoding(fileobj: BinaryIO) -> str:
    """UTF-8 (BOM or not) if every byte decodes as such, else Windows-1252.

    A separate pass over the bytes: finding a bad byte mid-parse would mean
    taking back rows already handed out.
    """
    fileobj.seek(0)
    head = fileobj.read(4)
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        raise AudienceFileError("file_encoding", {"encoding": "utf-16"})
    utf8 = "utf-8-sig" if head.startswith(codecs.BOM_UTF8) else "utf-8"
    for encoding in (utf8, "cp1252"):
        fileobj.seek(0)
        decoder = codecs.getincrementaldecoder(encoding)()
        try:
            while chunk := fileobj.read(CHUNK_SIZE):
                if b"\x00" in chunk:
                    # No text file has NUL bytes; a spreadsheet (.xlsx) does,
                    # and PostgreSQL would refuse them in contact extras.
                    raise AudienceFileError("file_binary")
                decoder.decode(chunk)
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            continue
        fileobj.seek(0)
        return encoding
    # A few bytes are undefined even in cp1252: not a text file we know.
    raise AudienceFileError("file_encoding", {"encoding": None})


def _read_lines(fileobj: BinaryIO, encoding: str) -> Iterator[str]:
    """Decoded physical lines with their endings, as csv.reader expects.

    One string per physical line keeps reader.line_num equal to line numbers.
    str.splitlines is not used: it also splits on form feeds and U+2028.
    """
    decoder = codecs.getincrementaldecoder(encoding)()
    pending = ""
    while True:
        chunk = fileobj.read(CHUNK_SIZE)
        text = pending + decoder.decode(chunk, final=not chunk)
        start = 0
        for match in _LINE_END.finditer(text):
            if chunk and match.end() == len(text) and match.group() == "\r":
                break  # may be the first half of a "\r\n" split across chunks
            yield text[start : match.end()]
            start = match.end()
        pending = text[start:]
        if not chunk:
            if pending:
                yield pending
            return


def _first_non_blank(lines: Iterator[str]) -> tuple[int, str | None]:
    for skipped, line in enumerate(lines):
        if line.strip():
            return skipped, line
    return 0, None


def _pick_delimiter(line: str) -> str:
    comma, semicolon = (len(next(csv.reader([line], delimiter=d))) for d in ",;")
    return ";" if semicolon > comma else ","


def _trim_trailing_empty(cells: list[str], keep: int = 1) -> list[str]:
    end = len(cells)
    while end > keep and not cells[end - 1]:
        end -= 1
    return cells[:end]


def _check_header(names: list[str], default_region: str) -> None:
    try:
        normalize_phone(names[0], default_region)
    except InvalidPhone:
        pass
    else:
        raise AudienceFileError("header_missing", {"value": names[0]})
    first_column: dict[str, int] = {}
    for column, name in enumerate(names, start=1):
        if not name:
            raise AudienceFileError("header_empty", {"column": column})
        if not _HEADER_NAME.fullmatch(name):
            raise AudienceFileError("header_special_chars", {"name": name, "column": column})
        seen = first_column.setdefault(name.lower(), column)
        if seen != column:
            params = {"name": name, "column": column, "first_column": seen}
            raise AudienceFileError("header_duplicate", params)


def scan_audience(
    fileobj: BinaryIO,
    *,
    opted_out: set[str] = frozenset(),
    preview_rows: int = 5,
    max_errors: int = 200,
    default_region: str = "BR",
) -> dict:
    """What the wizard shows and keeps (in the session, so plain JSON types) about one upload."""
    summary = summarize_audience(fileobj, preview_rows, max_errors, default_region=default_region)
    fileobj.seek(0)
    opted = 0
    if opted_out:
        for item in AudienceParser(fileobj, default_region=default_region):
            opted += isinstance(item, AudienceRow) and item.phone in opted_out
    return {
        "header": [summary.phone_column, *summary.header],
        "columns": summary.header,
        "delimiter": summary.delimiter,
        "encoding": summary.encoding,
        "total_rows": summary.total_rows,
        "valid_rows": summary.valid_rows,
        "error_count": summary.error_count,
        "opted_out": opted,
        "empty_cells": summary.empty_cells,
        "errors": [{"line": e.line, "code": e.code, "params": e.params} for e in summary.errors],
        "preview": [
            [r.phone, *(r.extras.get(c, "") for c in summary.header)] for r in summary.preview
        ],
    }


# --- Rows whose cells do not fill the template (issue 8: step 2 warns, the import skips) ------

VARIABLE_EMPTY = "variable_empty"


def mapped_columns(parameters: dict) -> list[str]:
    """The audience columns a bulk campaign's parameters read: body variables, header, button."""
    named = [*(parameters.get("body") or []), parameters.get("header"), parameters.get("button")]
    return list(dict.fromkeys(c for c in named if isinstance(c, str) and c))


def count_rows_missing(fileobj: BinaryIO, columns: list[str], *, default_region="BR") -> int:
    """How many valid rows have an empty cell in one of ``columns``."""
    return sum(
        isinstance(item, AudienceRow) and any(not item.extras.get(c) for c in columns)
        for item in AudienceParser(fileobj, default_region=default_region)
    )


def skip_rows_missing(
    items: Iterator[AudienceRow | AudienceError], columns: list[str]
) -> Iterator[AudienceRow | AudienceError]:
    """``items`` with every row missing one of ``columns`` turned into a skipped error."""
    for item in items:
        if isinstance(item, AudienceRow):
            empty = [c for c in columns if not item.extras.get(c)]
            if empty:
                yield AudienceError(item.line, VARIABLE_EMPTY, {"columns": empty})
                continue
        yield item


def rows_to_import(
    items: Iterator[AudienceRow | AudienceError], parameters: dict
) -> Iterator[AudienceRow | AudienceError]:
    """A bulk campaign's rows as it imports them: those missing a mapped cell skipped when the
    operator chose so at step 2 (``parameters["skip_rows_missing"]``)."""
    if parameters.get("skip_rows_missing"):
        return skip_rows_missing(items, mapped_columns(parameters))
    return iter(items)
