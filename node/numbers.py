"""Number parsing and formatting with Redis's exact rules.

Owns: what Redis accepts as an integer (string2ll) or a float (strtold), and
how it prints doubles and INCRBYFLOAT results. Must not know commands or replies.
"""

from __future__ import annotations

import math
from decimal import Decimal, InvalidOperation

INT64_MIN = -(1 << 63)
INT64_MAX = (1 << 63) - 1
_MAX_FLOAT_CHARS = 5 * 1024
# x86 80-bit long double: largest finite value, half the smallest denormal.
LDBL_MAX = Decimal("1.18973149535723176502e+4932")
_LDBL_HALF_DENORM = Decimal("1.8225997659412373012e-4951")


def parse_int(raw: bytes) -> int | None:
    """Redis's string2ll: optional '-', no '+', no spaces, no leading zeros, int64."""
    n = len(raw)
    if n == 0 or n > 20:
        return None
    if raw == b"0":
        return 0
    first = raw[1:2] if raw[0] == 45 else raw[0:1]
    if not first or first < b"1" or first > b"9" or not raw[1 if raw[0] == 45 else 0 :].isdigit():
        return None
    value = int(raw)
    if value < INT64_MIN or value > INT64_MAX:
        return None
    return value


def parse_decimal(raw: bytes) -> Decimal | None:
    """Redis's string2ld (INCRBYFLOAT): no leading space, no NaN; inf parses."""
    if not raw or len(raw) > _MAX_FLOAT_CHARS or raw[:1].isspace() or b"_" in raw:
        return None
    try:
        value = Decimal(raw.decode("ascii"))
    except (InvalidOperation, UnicodeDecodeError):
        return None
    if value.is_nan() or raw[-1:].isspace():
        return None
    # strtold's ERANGE: past the long double range, or so small it rounds to zero.
    if value.is_finite() and (abs(value) > LDBL_MAX or 0 < abs(value) <= _LDBL_HALF_DENORM):
        return None
    return value


def parse_float(raw: bytes) -> float | None:
    """Redis's strtod-based getDoubleFromObject: whole string, no NaN."""
    if not raw or raw[:1].isspace() or raw[-1:].isspace() or b"_" in raw:
        return None
    try:
        value = float(raw)
    except ValueError:
        return None
    if math.isnan(value):
        return None
    return value


def format_decimal(value: Decimal) -> bytes:
    """INCRBYFLOAT's human format: fixed point, no exponent, no trailing zeros."""
    text = format(value, "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    if text in ("-0", ""):
        text = "0"
    return text.encode()


def format_double(value: float) -> bytes:
    """How Redis prints a double in a bulk reply (%.17g, inf as 'inf')."""
    if math.isinf(value):
        return b"inf" if value > 0 else b"-inf"
    return b"%.17g" % value
