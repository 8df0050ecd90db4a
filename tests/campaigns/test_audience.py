import io

import pytest

from campaigns import audience
from campaigns.audience import (
    AudienceError,
    AudienceFileError,
    AudienceParser,
    AudienceRow,
    summarize_audience,
)

ANA = "+5511999998888"
BRUNO = "+5521988887777"


def parse(data: bytes) -> tuple[AudienceParser, list[AudienceRow | AudienceError]]:
    parser = AudienceParser(io.BytesIO(data))
    return parser, list(parser)


def errors(items) -> list[tuple[int, str, dict]]:
    return [(i.line, i.code, i.params) for i in items if isinstance(i, AudienceError)]


def rows(items) -> list[tuple[int, str, dict]]:
    return [(i.line, i.phone, i.extras) for i in items if isinstance(i, AudienceRow)]


def file_error(data: bytes) -> AudienceFileError:
    with pytest.raises(AudienceFileError) as excinfo:
        AudienceParser(io.BytesIO(data))
    return excinfo.value


# --- delimiter -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "delimiter"),
    [
        pytest.param(b"phone,name\n+55 11 99999-8888,Ana\n", ",", id="comma"),
        pytest.param(b"phone;name\n+55 11 99999-8888;Ana\n", ";", id="semicolon"),
        pytest.param(b'phone;"a,b"\n+55 11 99999-8888;Ana\n', ";", id="comma-inside-quotes"),
    ],
)
def test_R16_delimiter_from_header(data, delimiter):
    parser, items = parse(data.replace(b'"a,b"', b"name"))
    assert parser.delimiter == delimiter
    assert rows(items) == [(2, ANA, {"name": "Ana"})]


def test_R16_semicolon_delimiter_wins_when_it_gives_more_columns():
    parser, items = parse(b"phone;name;note\n11999998888;Ana;a,b\n")
    assert parser.delimiter == ";"
    assert parser.header == ["name", "note"]
    assert rows(items) == [(2, ANA, {"name": "Ana", "note": "a,b"})]


def test_R16_one_column_file_has_no_extras():
    parser, items = parse(b"telefone\n+5511999998888\n21988887777\n")
    assert parser.header == []
    assert parser.phone_column == "telefone"
    assert rows(items) == [(2, ANA, {}), (3, BRUNO, {})]


def test_R16_delimiter_mix_reports_wrong_column_count():
    _, items = parse(b"phone,name,city\n11999998888;Ana;SP\n21988887777,Bruno,RJ\n")
    assert errors(items) == [(2, "wrong_column_count", {"expected": 3, "found": 1})]
    assert rows(items) == [(3, BRUNO, {"name": "Bruno", "city": "RJ"})]


@pytest.mark.parametrize(
    ("line", "found"),
    [
        pytest.param(b"11999998888;Ana", 2, id="too-few"),
        pytest.param(b"11999998888;Ana;SP;extra", 4, id="too-many"),
        pytest.param(b"11999998888;Ana;SP;;x", 5, id="non-empty-past-trailing-empty"),
    ],
)
def test_R16_wrong_column_count(line, found):
    _, items = parse(b"phone;name;city\n" + line + b"\n")
    assert errors(items) == [(2, "wrong_column_count", {"expected": 3, "found": found})]


def test_R16_trailing_delimiter_is_tolerated_in_header_and_rows():
    parser, items = parse(b"phone;name;\n11999998888;Ana;\n21988887777;Bruno;;\n")
    assert parser.header == ["name"]
    assert errors(items) == []
    assert rows(items) == [(2, ANA, {"name": "Ana"}), (3, BRUNO, {"name": "Bruno"})]


# --- encoding ------------------------------------------------------------------------------


def test_R16_utf8_bom_is_dropped_from_the_first_header_name():
    parser, items = parse("phone;cidade\n11999998888;São Paulo\n".encode("utf-8-sig"))
    assert parser.encoding == "utf-8-sig"
    assert parser.phone_column == "phone"
    assert rows(items) == [(2, ANA, {"cidade": "São Paulo"})]


def test_R16_utf8_without_bom():
    parser, items = parse("phone;cidade\n11999998888;São Paulo\n".encode())
    assert parser.encoding == "utf-8"
    assert rows(items)[0][2] == {"cidade": "São Paulo"}


def test_R16_windows_1252_is_decoded():
    parser, items = parse("phone;cidade\n11999998888;São Paulo\n".encode("cp1252"))
    assert parser.encoding == "cp1252"
    assert rows(items) == [(2, ANA, {"cidade": "São Paulo"})]


def test_R16_windows_1252_byte_after_many_utf8_compatible_chunks():
    # The bad byte comes well after the first chunk: detection must restart.
    filler = b"".join(b"%d;x\n" % (11900000000 + i) for i in range(20_000))
    tail = "11999998888;Conceição\n".encode("cp1252")
    parser, items = parse(b"phone;note\n" + filler + tail)
    assert parser.encoding == "cp1252"
    assert items[-1] == AudienceRow(20_002, ANA, {"note": "Conceição"})


@pytest.mark.parametrize(
    ("data", "code", "params"),
    [
        pytest.param(b"", "file_empty", {}, id="empty"),
        pytest.param(b"\n\r\n  \n", "file_empty", {}, id="blank-lines-only"),
        pytest.param(b"\xef\xbb\xbf", "file_empty", {}, id="bom-only"),
        pytest.param(b"PK\x03\x04\x14\x00\x06\x00", "file_binary", {}, id="xlsx"),
        pytest.param(
            "phone\n".encode("utf-16"), "file_encoding", {"encoding": "utf-16"}, id="utf-16"
        ),
        pytest.param(b"phone\n\x81\x8d", "file_encoding", {"encoding": None}, id="undecodable"),
    ],
)
def test_R16_unusable_file(data, code, params):
    error = file_error(data)
    assert (error.code, error.params) == (code, params)


# --- header --------------------------------------------------------------------------------


def test_R16_header_names_are_stripped_and_lowercased():
    parser, items = parse(b" Phone ; Nome ;CIDADE_1\n11999998888;Ana;SP\n")
    assert parser.phone_column == "phone"
    assert parser.header == ["nome", "cidade_1"]
    assert rows(items)[0][2] == {"nome": "Ana", "cidade_1": "SP"}


def test_R16_header_only_file_has_no_rows():
    summary = summarize_audience(io.BytesIO(b"phone;name\r\n"))
    assert (summary.header, summary.total_rows, summary.errors) == (["name"], 0, [])


@pytest.mark.parametrize(
    ("header", "name", "column"),
    [
        pytest.param("phone;cidade_São", "cidade_São", 2, id="accent"),
        pytest.param("phone;endereço", "endereço", 2, id="cedilla"),
        pytest.param("phone;first name", "first name", 2, id="space"),
        pytest.param("phone;name;e-mail", "e-mail", 3, id="hyphen"),
        pytest.param("telefone!;name", "telefone!", 1, id="phone-column"),
        pytest.param("phone;{{1}}", "{{1}}", 2, id="braces"),
    ],
)
def test_R16_header_special_chars(header, name, column):
    error = file_error(f"{header}\n11999998888;x\n".encode())
    assert (error.code, error.params) == ("header_special_chars", {"name": name, "column": column})


def test_R16_header_special_chars_in_windows_1252():
    error = file_error("phone;endereço\n".encode("cp1252"))
    assert error.params == {"name": "endereço", "column": 2}


@pytest.mark.parametrize(
    ("header", "column"),
    [
        pytest.param(b"phone;;city", 2, id="middle"),
        pytest.param(b";name", 1, id="phone-column"),
        pytest.param(b'phone;"  ";city', 2, id="blank-quoted"),
    ],
)
def test_R16_header_empty(header, column):
    error = file_error(header + b"\n")
    assert (error.code, error.params) == ("header_empty", {"column": column})


def test_R16_header_duplicate_is_case_insensitive():
    error = file_error(b"phone;Name;city;NAME\n")
    assert error.code == "header_duplicate"
    assert error.params == {"name": "NAME", "column": 4, "first_column": 2}


def test_R16_header_missing_when_first_line_is_data():
    error = file_error(b"+55 11 99999-8888;Ana\n21988887777;Bruno\n")
    assert (error.code, error.params) == ("header_missing", {"value": "+55 11 99999-8888"})


# --- rows and line numbers -----------------------------------------------------------------


def test_R16_blank_lines_are_skipped_and_not_counted():
    data = b"\n\nphone;name\n\n11999998888;Ana\n   \n;;\n ; \n21988887777;Bruno\n\n"
    _, items = parse(data)
    assert rows(items) == [(5, ANA, {"name": "Ana"}), (9, BRUNO, {"name": "Bruno"})]
    assert errors(items) == []


def test_R16_quoted_fields_with_newlines_keep_line_numbers():
    data = (
        b"phone;address;note\n"
        b'11999998888;"Rua A, 1\nApto 2; fundos\n";ok\n'
        b"abc;x;y\n"
        b'21988887777;"say ""hi""";\n'
    )
    _, items = parse(data)
    assert rows(items) == [
        (2, ANA, {"address": "Rua A, 1\nApto 2; fundos", "note": "ok"}),
        (6, BRUNO, {"address": 'say "hi"', "note": ""}),
    ]
    assert errors(items) == [(5, "phone_invalid", {"value": "abc"})]


@pytest.mark.parametrize("newline", [b"\r\n", b"\r", b"\n"], ids=["crlf", "cr", "lf"])
def test_R16_line_endings(newline):
    lines = [b"phone;name", b"11999998888;Ana", b"", b"xyz;Bad", b"21988887777;Bruno"]
    _, items = parse(newline.join(lines) + newline)
    assert rows(items) == [(2, ANA, {"name": "Ana"}), (5, BRUNO, {"name": "Bruno"})]
    assert errors(items) == [(4, "phone_invalid", {"value": "xyz"})]


@pytest.mark.parametrize("chunk_size", [1, 2, 3, 5, 64 * 1024], ids=str)
def test_R16_chunk_boundaries_do_not_change_the_result(monkeypatch, chunk_size):
    # Splits "\r\n" pairs and multi-byte characters across reads.
    data = 'phone;cidade\r\n11999998888;São João\r\n\r\n21988887777;"Ação\r\nx"\r\n'
    monkeypatch.setattr(audience, "CHUNK_SIZE", chunk_size)
    parser, items = parse(data.encode("utf-8-sig"))
    assert parser.encoding == "utf-8-sig"
    assert rows(items) == [
        (2, ANA, {"cidade": "São João"}),
        (4, BRUNO, {"cidade": "Ação\r\nx"}),
    ]


@pytest.mark.parametrize(
    ("cell", "code"),
    [
        pytest.param(b"", "phone_empty", id="empty"),
        pytest.param(b"   ", "phone_empty", id="blank"),
        pytest.param(b"abc", "phone_invalid", id="letters"),
        pytest.param(b"+55 11 1234", "phone_invalid", id="too-short"),
    ],
)
def test_R16_bad_phone_is_reported_with_line_and_value(cell, code):
    _, items = parse(b"phone;name\n" + cell + b";Ana\n")
    assert errors(items) == [(2, code, {"value": cell.decode().strip()})]


@pytest.mark.parametrize(
    "cell",
    ["055 11 99999-8888", "05511999998888", "+55 (11) 99999-8888", "0055 11 999998888"],
    ids=["0ddi-spaced", "0ddi-digits", "plus", "00"],
)
def test_R16_0ddi_and_other_notations_normalise_to_e164(cell):
    _, items = parse(f"phone;name\n{cell};Ana\n".encode())
    assert rows(items) == [(2, ANA, {"name": "Ana"})]


def test_R16_duplicate_phone_after_normalisation():
    data = b"phone;name\n+55 11 99999-8888;Ana\n21988887777;Bruno\n05511999998888;Ana 2\n"
    _, items = parse(data)
    assert errors(items) == [(4, "duplicate_phone", {"phone": ANA, "first_line": 2})]
    assert [r[0] for r in rows(items)] == [2, 3]


def test_R16_error_rows_do_not_claim_a_phone():
    _, items = parse(b"phone;name\n11999998888\n11999998888;Ana\n")
    assert errors(items)[0][1] == "wrong_column_count"
    assert rows(items) == [(3, ANA, {"name": "Ana"})]


@pytest.mark.parametrize(
    "cell",
    ["=cmd|' /C calc'!A0", "+SUM(A1:A2)", "-2+3", "@SUM(1)", '=HYPERLINK("http://x")'],
    ids=["dde", "plus", "minus", "at", "hyperlink"],
)
def test_R16_formula_looking_cells_are_literal_text(cell):
    escaped = cell.replace('"', '""')
    _, items = parse(f'phone;note\n11999998888;"{escaped}"\n'.encode())
    assert rows(items) == [(2, ANA, {"note": cell})]


def test_R16_runaway_quote_is_reported_and_parsing_goes_on():
    huge = b"x" * 140_000  # past csv.field_size_limit()
    data = b'phone;note\n11999998888;"' + huge + b"\n21988887777;Bruno\n"
    _, items = parse(data)
    assert errors(items) == [(2, "row_malformed", {})]


# --- streaming and summary -----------------------------------------------------------------


class RecordingBytesIO(io.BytesIO):
    def __init__(self, data: bytes) -> None:
        super().__init__(data)
        self.sizes: list[int | None] = []

    def read(self, size=-1):
        self.sizes.append(size)
        return super().read(size)


def test_R16_file_is_read_in_chunks_and_rows_come_before_the_end():
    data = b"phone;n\n" + b"".join(b"%d;x\n" % (11900000000 + i) for i in range(50_000))
    fileobj = RecordingBytesIO(data)
    fileobj.read(10)  # an upload already peeked at must still be parsed whole
    first = next(iter(AudienceParser(fileobj)))
    assert first == AudienceRow(2, "+5511900000000", {"n": "x"})
    assert fileobj.tell() < len(data) // 2
    assert all(0 < size <= audience.CHUNK_SIZE for size in fileobj.sizes[1:])
    assert not fileobj.closed


def test_R16_summary_counts_and_caps():
    data = (
        b"phone;name\n11999998888;Ana\nbad;x\n21988887777;Bruno\n11999998888;Ana\n"
        b"\n11988887777;Carla\n;nobody\n"
    )
    summary = summarize_audience(io.BytesIO(data), preview_rows=2, max_errors=2)
    assert (summary.total_rows, summary.valid_rows, summary.error_count) == (6, 3, 3)
    assert summary.duplicates == 1
    assert [(e.line, e.code) for e in summary.errors] == [
        (3, "phone_invalid"),
        (5, "duplicate_phone"),
    ]
    assert [r.line for r in summary.preview] == [2, 4]
    assert (summary.delimiter, summary.encoding, summary.header) == (";", "utf-8", ["name"])


def test_R16_summary_raises_file_errors():
    with pytest.raises(AudienceFileError):
        summarize_audience(io.BytesIO(b"phone;nome completo\n"))


def test_R16_hundred_thousand_rows():
    body = b"".join(
        b"+55 11 9%04d-%04d;Cliente %d;S\xe3o Paulo\n" % (i // 10_000, i % 10_000, i)
        for i in range(100_000)
    )
    dupes = b"+55 11 90000-0001;again;x\nnot-a-phone;x;y\n"
    summary = summarize_audience(io.BytesIO(b"phone;name;city\n" + body + dupes))
    assert summary.encoding == "cp1252"
    assert (summary.total_rows, summary.valid_rows, summary.duplicates) == (100_002, 100_000, 1)
    assert [(e.line, e.code) for e in summary.errors] == [
        (100_002, "duplicate_phone"),
        (100_003, "phone_invalid"),
    ]
    assert summary.preview[0].extras == {"name": "Cliente 0", "city": "São Paulo"}
