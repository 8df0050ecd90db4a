"""R18: the two forms of a Brazilian mobile on WhatsApp, table-tested for every area code."""

import phonenumbers
import pytest

from bots.phones import (
    BRAZIL_AREA_CODES,
    ninth_digit_variant,
    normalize_phone,
    phone_forms,
    with_ninth_digit,
)

# ANATEL's 67 area codes (DDD) by state, written out here rather than imported, so the table
# checks the module instead of repeating it.
# fmt: off
DDDS = [
    "11", "12", "13", "14", "15", "16", "17", "18", "19",  # SP
    "21", "22", "24", "27", "28",  # RJ, ES
    "31", "32", "33", "34", "35", "37", "38",  # MG
    "41", "42", "43", "44", "45", "46", "47", "48", "49",  # PR, SC
    "51", "53", "54", "55",  # RS
    "61", "62", "63", "64", "65", "66", "67", "68", "69",  # DF, GO, TO, MT, MS, AC, RO
    "71", "73", "74", "75", "77", "79",  # BA, SE
    "81", "82", "83", "84", "85", "86", "87", "88", "89",  # PE, AL, PB, RN, CE, PI
    "91", "92", "93", "94", "95", "96", "97", "98", "99",  # PA, AM, RR, AP, MA
]
NOT_DDDS = [
    "10", "20", "23", "25", "26", "29", "30", "36", "39", "40", "50", "52",
    "56", "57", "58", "59", "60", "70", "72", "76", "78", "80", "90",
]
# fmt: on


def test_R18_the_area_code_table_is_anatels():
    assert len(DDDS) == 67
    assert {int(d) for d in DDDS} == BRAZIL_AREA_CODES


@pytest.mark.parametrize("ddd", DDDS)
@pytest.mark.parametrize("first", "6789")
def test_R18_every_ddd_mobile_has_both_forms(ddd, first):
    new = f"+55{ddd}9{first}7654321"
    old = f"+55{ddd}{first}7654321"
    parsed = phonenumbers.parse(new)
    assert phonenumbers.is_valid_number(parsed)
    assert phonenumbers.number_type(parsed) == phonenumbers.PhoneNumberType.MOBILE
    assert ninth_digit_variant(new) == old
    assert ninth_digit_variant(old) == new
    assert with_ninth_digit(old) == with_ninth_digit(new) == new
    assert phone_forms(old) == phone_forms(new) == (new, old)


@pytest.mark.parametrize("ddd", DDDS)
@pytest.mark.parametrize("first", "2345")
def test_R18_every_ddd_landline_is_never_rewritten(ddd, first):
    landline = f"+55{ddd}{first}3334444"
    assert phonenumbers.number_type(phonenumbers.parse(landline)) in (
        phonenumbers.PhoneNumberType.FIXED_LINE,
        phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE,
    )
    assert ninth_digit_variant(landline) is None
    assert with_ninth_digit(landline) == landline
    assert phone_forms(landline) == (landline,)
    # A nine-digit mobile whose eight-digit tail reads as this landline never maps onto it.
    mobile = f"+55{ddd}9{first}3334444"
    assert ninth_digit_variant(mobile) is None
    assert phone_forms(mobile) == (mobile,)


@pytest.mark.parametrize("code", NOT_DDDS)
def test_R18_numbers_outside_the_area_code_table_are_left_alone(code):
    assert ninth_digit_variant(f"+55{code}987654321") is None
    assert ninth_digit_variant(f"+55{code}87654321") is None


@pytest.mark.parametrize(
    "phone",
    [
        pytest.param("+14155552671", id="us"),
        pytest.param("+351912345678", id="portugal-mobile"),
        pytest.param("+5491123456789", id="argentina-mobile-with-its-own-9"),
        pytest.param("+525512345678", id="mexico"),
        pytest.param("+4915112345678", id="germany"),
        pytest.param("+55119876543", id="brazil-too-short"),
        pytest.param("+551198765432100", id="brazil-too-long"),
        pytest.param("5511987654321", id="no-plus"),
        pytest.param("", id="empty"),
    ],
)
def test_R18_foreign_and_malformed_numbers_are_never_rewritten(phone):
    assert ninth_digit_variant(phone) is None
    assert with_ninth_digit(phone) == phone


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        pytest.param("+55 11 8765-4321", "+5511987654321", id="plus-old-mobile"),
        pytest.param("(21) 8765-4321", "+5521987654321", id="national-old-mobile"),
        pytest.param("558587654321", "+5585987654321", id="ddi-old-mobile"),
        pytest.param("011 8765 4321", "+5511987654321", id="trunk-old-mobile"),
        pytest.param("(11) 3333-4444", "+551133334444", id="landline-untouched"),
    ],
)
def test_R18_an_audience_phone_in_the_old_mobile_form_gains_its_ninth_digit(raw, expected):
    assert normalize_phone(raw) == expected
