import phonenumbers
import pytest

from bots.phones import InvalidPhone, format_phone, normalize_phone

SP_MOBILE = "+5511999998888"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        pytest.param("+55 11 99999-8888", SP_MOBILE, id="plus-ddi-spaced"),
        pytest.param("+5511999998888", SP_MOBILE, id="e164"),
        pytest.param("(11) 99999-8888", SP_MOBILE, id="national-default-region"),
        pytest.param("11 3333-4444", "+551133334444", id="national-landline"),
        pytest.param("5511999998888", SP_MOBILE, id="ddi-without-plus-13-digits"),
        pytest.param("551133334444", "+551133334444", id="ddi-without-plus-12-digits"),
        pytest.param("0055 11 99999 8888", SP_MOBILE, id="00-international-prefix"),
        pytest.param("055 11 99999-8888", SP_MOBILE, id="0ddi-spaced"),
        pytest.param("05511999998888", SP_MOBILE, id="0ddi-digits"),
        pytest.param("011 99999-8888", SP_MOBILE, id="trunk-zero-fallback"),
        # Porto Alegre with a trunk 0 reads as Peru (+51) under R16's 0DDI rule.
        pytest.param("051 99999-8888", "+51999998888", id="0ddi-wins-over-trunk-zero"),
        pytest.param("+1 (415) 555-2671", "+14155552671", id="us-plus"),
        pytest.param("14155552671", "+14155552671", id="us-without-plus"),
        pytest.param("001 415 555 2671", "+14155552671", id="us-00"),
        pytest.param("01 415 555 2671", "+14155552671", id="us-0ddi"),
        pytest.param("+351 912 345 678", "+351912345678", id="portugal"),
        pytest.param("  +55.11.99999.8888 ", SP_MOBILE, id="dots-and-padding"),
        pytest.param("+55\u00a011\u00a099999-8888", SP_MOBILE, id="non-breaking-spaces"),
    ],
)
def test_R16_normalize_phone_accepts_common_notations(raw, expected):
    assert normalize_phone(raw) == expected


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        pytest.param("", "phone_empty", id="empty"),
        pytest.param("   ", "phone_empty", id="blank"),
        pytest.param(None, "phone_empty", id="none"),
        pytest.param("abc", "phone_invalid", id="letters"),
        pytest.param("0800-FLORES", "phone_invalid", id="vanity-letters"),
        pytest.param("-", "phone_invalid", id="punctuation-only"),
        pytest.param("+55 11 1234", "phone_invalid", id="too-short"),
        pytest.param("+55 11 99999-88889999", "phone_invalid", id="too-long"),
        pytest.param("11 99999+8888", "phone_invalid", id="plus-inside"),
        pytest.param("+999 1234 5678", "phone_invalid", id="unknown-country-code"),
        pytest.param("(00) 99999-8888", "phone_invalid", id="no-area-code-00"),
        pytest.param("+5511999998888 ramal 12", "phone_invalid", id="extension-text"),
    ],
)
def test_R16_normalize_phone_rejects_with_code(raw, code):
    with pytest.raises(InvalidPhone) as excinfo:
        normalize_phone(raw)
    assert excinfo.value.code == code
    assert excinfo.value.raw == raw


def test_R16_invalid_phone_is_a_value_error():
    with pytest.raises(ValueError, match="phone_invalid"):
        normalize_phone("abc")


def test_R16_default_region_applies_to_national_numbers():
    assert normalize_phone("(415) 555-2671", default_region="US") == "+14155552671"


@pytest.mark.parametrize(
    "region", ["BR", "US", "PT", "GB", "DE", "AR", "IT", "RU", "IN", "MX"], ids=str
)
def test_R16_fast_path_agrees_with_phonenumbers(region):
    # The shortcut for international digits must give what phonenumbers gives.
    for kind in (phonenumbers.PhoneNumberType.MOBILE, phonenumbers.PhoneNumberType.FIXED_LINE):
        example = phonenumbers.example_number_for_type(region, kind)
        e164 = phonenumbers.format_number(example, phonenumbers.PhoneNumberFormat.E164)
        assert normalize_phone(e164) == e164


@pytest.mark.parametrize(
    ("e164", "shown"),
    [
        ("+5511987654321", "+55 11 98765-4321"),
        ("+551133334444", "+55 11 3333-4444"),
        ("+14155550100", "+1 415-555-0100"),
        ("not a phone", "not a phone"),
        ("", ""),
    ],
)
def test_format_phone_for_people(e164, shown):
    assert format_phone(e164) == shown
