"""Phone numbers: normalisation to E.164 (R16) and the forms of a WhatsApp identity (R18).

Free of Django so it runs anywhere. Brazilian mobiles gained a ninth digit (a leading 9) between
2012 and 2016; WhatsApp accounts registered before still answer from the eight-digit form
(``55 DD XXXX-XXXX``). ``ninth_digit_variant`` gives the other form of such a number and
``with_ninth_digit`` the current one; landlines and foreign numbers are never rewritten.
"""

import functools
import re

import phonenumbers

# Vanity letters ("0800-FLORES") and free text are rejected rather than
# letting phonenumbers translate them into digits nobody typed.
_ALLOWED = re.compile(r"\+?[\d\s().\-/]+")
_NON_DIGITS = re.compile(r"\D")


class InvalidPhone(ValueError):
    def __init__(self, code: str, raw: str) -> None:
        super().__init__(f"{code}: {raw!r}")
        self.code = code
        self.raw = raw


def normalize_phone(raw: str, default_region: str = "BR") -> str:
    """Return ``raw`` as E.164 or raise InvalidPhone ("phone_empty", "phone_invalid")."""
    text = (raw or "").strip()
    if not text:
        raise InvalidPhone("phone_empty", raw)
    if not _ALLOWED.fullmatch(text):
        raise InvalidPhone("phone_invalid", raw)
    digits = _NON_DIGITS.sub("", text)
    for number, region in _candidates(text, digits, default_region):
        e164 = _valid_e164(number, region)
        if e164:
            return e164
        # An old eight-digit Brazilian mobile ("+55 11 8765-4321") is today's nine-digit one.
        fixed = _ninth_digit_added(number, region)
        if fixed:
            return fixed
    raise InvalidPhone("phone_invalid", raw)


# Brazil's area codes (DDD) as ANATEL assigns them: 67 codes, none ending in 0.
BRAZIL_AREA_CODES = frozenset(
    {
        *range(11, 20),  # SP
        21, 22, 24,  # RJ
        27, 28,  # ES
        31, 32, 33, 34, 35, 37, 38,  # MG
        *range(41, 50),  # PR, SC
        51, 53, 54, 55,  # RS
        *range(61, 70),  # DF, GO, TO, MT, MS, AC, RO
        71, 73, 74, 75, 77, 79,  # BA, SE
        *range(81, 90),  # PE, AL, PB, RN, CE, PI
        *range(91, 100),  # PA, AM, RR, AP, MA
    }
)  # fmt: skip
# Before the ninth digit, mobile numbers began with 6, 7, 8 or 9 and landlines with 2 to 5:
# only the former ever had an eight-digit WhatsApp account to answer from.
_OLD_MOBILE_FIRST = frozenset("6789")
_BR_OLD_MOBILE = re.compile(r"\+55(\d{2})([6-9]\d{7})")
_BR_MOBILE = re.compile(r"\+55(\d{2})9([6-9]\d{7})")


def ninth_digit_variant(e164: str) -> str | None:
    """The other form of a Brazilian mobile (with ↔ without the ninth digit), else None.

    ``+5511987654321`` ↔ ``+551187654321``. Landlines (``+551133334444``), mobiles whose
    eight-digit form would read as a landline (``+5511933334444``) and foreign numbers: None.
    """
    if not e164 or not e164.startswith("+55"):
        return None
    match = _BR_MOBILE.fullmatch(e164)
    if match and int(match[1]) in BRAZIL_AREA_CODES:
        return f"+55{match[1]}{match[2]}"
    match = _BR_OLD_MOBILE.fullmatch(e164)
    if match and int(match[1]) in BRAZIL_AREA_CODES:
        return f"+55{match[1]}9{match[2]}"
    return None


def with_ninth_digit(e164: str) -> str:
    """Today's form of a phone: a Brazilian mobile written without its ninth digit gains it."""
    variant = ninth_digit_variant(e164)
    if variant is not None and len(variant) > len(e164):
        return variant
    return e164


def phone_forms(e164: str) -> tuple[str, ...]:
    """Every form one person's phone may take on WhatsApp: today's first, then the old one."""
    current = with_ninth_digit(e164)
    variant = ninth_digit_variant(current)
    return (current, variant) if variant else (current,)


def _ninth_digit_added(digits: str, region: str | None) -> str | None:
    prefix = str(phonenumbers.country_code_for_region(region)) if region else ""
    if region and digits.startswith("0"):
        digits = digits[1:]  # the national trunk prefix ("011 8765-4321")
    full = "+" + prefix + digits
    if not _BR_OLD_MOBILE.fullmatch(full):
        return None
    fixed = with_ninth_digit(full)
    return fixed if fixed != full and _fast_international(fixed[1:]) else None


def _candidates(text: str, digits: str, region: str) -> list[tuple[str, str | None]]:
    if text.startswith("+"):
        return [(digits, None)]
    if digits.startswith("00"):
        # phonenumbers reads Brazil's "00" as the start of a carrier-selection
        # prefix ("0055" = carrier 55), which turns +55 numbers into +1 ones.
        return [(digits[2:], None)]
    if digits.startswith("0"):
        # R16 "0DDI": one 0 then the country code. A Brazilian trunk prefix
        # ("011 99999-8888") collides with it; R16 wins, national is the fallback.
        return [(digits[1:], None), (digits, region)]
    if 12 <= len(digits) <= 13 and digits.startswith("55"):
        return [(digits, None)]
    return [(digits, region), (digits, None)]


def _valid_e164(digits: str, region: str | None) -> str | None:
    """E.164 of ``digits`` (international when region is None, else national) if valid."""
    prefix = str(phonenumbers.country_code_for_region(region)) if region else ""
    fast = _fast_international(prefix + digits)
    if fast:
        return fast
    try:
        parsed = phonenumbers.parse(digits if region else "+" + digits, region)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(parsed):
        return None
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def _fast_international(digits: str) -> str | None:
    # phonenumbers.parse costs ~25 us; building the number from its country
    # code costs ~5 us, which keeps a 100,000-row audience import quick.
    # Anything unusual (leading zeros, invalid) goes through the full parser.
    if digits.startswith("0"):
        return None  # no country code starts with 0; int() would hide it
    for size in (1, 2, 3):
        code = int(digits[:size] or 0)
        if code in phonenumbers.COUNTRY_CODE_TO_REGION_CODE:
            national = digits[size:]
            break
    else:
        return None
    if not national or national.startswith("0") or len(national) > 17:
        return None
    number = phonenumbers.PhoneNumber(country_code=code, national_number=int(national))
    return "+" + digits if phonenumbers.is_valid_number(number) else None


@functools.lru_cache(maxsize=8192)
def format_phone(e164: str) -> str:
    """``+5511987654321`` as people write it, ``+55 11 98765-4321``; anything else unchanged.

    Parsing costs ~50 us and a page of recipients or a Desk list shows dozens of phones, the
    same ones view after view: the answers of a process are remembered."""
    if not e164 or not e164.startswith("+"):
        return e164 or ""
    try:
        parsed = phonenumbers.parse(e164, None)
    except phonenumbers.NumberParseException:
        return e164
    if not phonenumbers.is_possible_number(parsed):
        return e164
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.INTERNATIONAL)
