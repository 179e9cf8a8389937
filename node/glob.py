"""Redis glob patterns (stringmatchlen): KEYS, SCAN MATCH, PSUBSCRIBE, CONFIG GET, ACL key patterns.

Owns the translation of a Redis pattern to a compiled regular expression
(cached): `*`, `?`, `[...]` with `^` negation and ranges, and backslash
escapes; an unclosed `[` runs to the end of the pattern, as in Redis.
Must not know keys, clients or commands.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import lru_cache


def _class(pattern: bytes, i: int) -> tuple[bytes, int]:
    """Translate a bracket expression starting after '['; returns (regex, next index)."""
    n = len(pattern)
    negate = i < n and pattern[i] == 94  # '^'
    if negate:
        i += 1
    members: list[bytes] = []
    while i < n and pattern[i] != 93:  # ']'
        c = pattern[i]
        if c == 92 and i + 1 < n:  # '\'
            members.append(re.escape(pattern[i + 1 : i + 2]))
            i += 2
        elif i + 2 < n and pattern[i + 1] == 45:  # 'a-z'
            lo, hi = sorted((c, pattern[i + 2]))
            members.append(re.escape(bytes([lo])) + b"-" + re.escape(bytes([hi])))
            i += 3
        else:
            members.append(re.escape(bytes([c])))
            i += 1
    body = b"".join(members)
    if not body:
        return (b"[\\s\\S]" if negate else b"(?!)"), i + 1
    return b"[" + (b"^" if negate else b"") + body + b"]", i + 1


@lru_cache(maxsize=1024)
def compile_pattern(
    pattern: bytes, nocase: bool = False
) -> Callable[[bytes], re.Match[bytes] | None]:
    out: list[bytes] = []
    i, n = 0, len(pattern)
    while i < n:
        c = pattern[i]
        if c == 42:  # '*'
            while i < n and pattern[i] == 42:
                i += 1
            out.append(b".*")
            continue
        if c == 63:  # '?'
            out.append(b".")
        elif c == 91:  # '['
            part, i = _class(pattern, i + 1)
            out.append(part)
            continue
        elif c == 92 and i + 1 < n:
            i += 1
            out.append(re.escape(pattern[i : i + 1]))
        else:
            out.append(re.escape(bytes([c])))
        i += 1
    flags = re.DOTALL | (re.IGNORECASE if nocase else 0)
    return re.compile(b"".join(out), flags).fullmatch


def match(pattern: bytes, subject: bytes, nocase: bool = False) -> bool:
    if pattern == b"*":
        return True
    return compile_pattern(pattern, nocase)(subject) is not None
