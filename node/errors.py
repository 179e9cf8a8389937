"""Error replies, worded exactly as Redis 7 words them (clients and test suites compare them).

Owns the texts only; must not know when they apply.
"""

from __future__ import annotations

WRONGTYPE = "WRONGTYPE Operation against a key holding the wrong kind of value"
NOT_INTEGER = "ERR value is not an integer or out of range"
NOT_FLOAT = "ERR value is not a valid float"
SYNTAX = "ERR syntax error"
NOAUTH = "NOAUTH Authentication required."
WRONGPASS = "WRONGPASS invalid username-password pair or user is disabled."
OOM = "OOM command not allowed when used memory > 'maxmemory'."
LOADING = "LOADING Redis is loading the dataset in memory"
EXECABORT = "EXECABORT Transaction discarded because of previous errors."
OVERFLOW = "ERR increment or decrement would overflow"
NAN_OR_INF = "ERR increment would produce NaN or Infinity"
NO_SUCH_KEY = "ERR no such key"
DB_RANGE = "ERR DB index is out of range"
STRING_TOO_LONG = "ERR string exceeds maximum allowed size (proto-max-bulk-len)"
OFFSET_RANGE = "ERR offset is out of range"
BIT_OFFSET = "ERR bit offset is not an integer or out of range"
BIT_VALUE = "ERR bit is not an integer or out of range"
INVALID_CURSOR = "ERR invalid cursor"
NO_SUCH_CLIENT = "ERR No such client"
NOT_IN_TXN = "ERR Command not allowed inside a transaction"


def unknown_command(name: bytes, args: list[bytes]) -> str:
    shown = "".join("'%s' " % _text(a)[:128] for a in args[:16])
    return "ERR unknown command '%s', with args beginning with: %s" % (_text(name)[:128], shown)


def unknown_subcommand(sub: bytes, container: str) -> str:
    return "ERR unknown subcommand '%s'. Try %s HELP." % (_text(sub)[:128], container.upper())


def wrong_arity(name: str) -> str:
    return "ERR wrong number of arguments for '%s' command" % name


def invalid_expire(name: str) -> str:
    return "ERR invalid expire time in '%s' command" % name


def pubsub_context(name: str) -> str:
    return (
        "ERR Can't execute '%s': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET "
        "are allowed in this context" % name
    )


def _text(raw: bytes) -> str:
    return raw.decode("utf-8", "replace")


EXPIRE_NX_CONFLICT = "ERR NX and XX, GT or LT options at the same time are not compatible"
EXPIRE_GT_LT_CONFLICT = "ERR GT and LT options at the same time are not compatible"


def unsupported_option(option: bytes) -> str:
    return "ERR Unsupported option %s" % _text(option)


DECREMENT_OVERFLOW = "ERR decrement would overflow"
BITPOS_BIT = "ERR The bit argument must be 1 or 0."
BITOP_NOT_ARGS = "ERR BITOP NOT must be called with a single source key."


# Transactions.
MULTI_NESTED = "ERR MULTI calls can not be nested"
EXEC_WITHOUT_MULTI = "ERR EXEC without MULTI"
DISCARD_WITHOUT_MULTI = "ERR DISCARD without MULTI"
WATCH_IN_MULTI = "ERR WATCH inside MULTI is not allowed"


def exec_abort(reason: str) -> str:
    """A refused EXEC; Redis drops the ERR code of the reason, keeps any other code."""
    return "EXECABORT Transaction discarded because of: " + reason.removeprefix("ERR ")


def acl_changed_in_multi(reason: str) -> str:
    """A queued command the user may no longer run when EXEC comes."""
    return (
        "NOPERM ACLs rules changed between the moment the transaction was accumulated and "
        "the EXEC call. This command is no longer allowed for the following reason: " + reason
    )


def subcommand_syntax(sub: bytes, container: str) -> str:
    return "ERR unknown subcommand or wrong number of arguments for '%s'. Try %s HELP." % (
        _text(sub)[:128],
        container.upper(),
    )


def misconf_aof(reason: str) -> str:
    """Writes (and PING) refused while the log cannot be written (Redis 7.0's AOF error)."""
    return "MISCONF Errors writing to the AOF file: " + reason


# Collections (sets, hashes; shared with other collection types).
NOT_POSITIVE = "ERR value is out of range, must be positive"
COUNT_RANGE = (
    "ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807"
)
OUT_OF_RANGE = "ERR value is out of range"
NUMKEYS_POSITIVE = "ERR numkeys should be greater than 0"
NUMKEYS_TOO_MANY = "ERR Number of keys can't be greater than number of args"
LIMIT_NEGATIVE = "ERR LIMIT can't be negative"
HASH_NOT_INTEGER = "ERR hash value is not an integer"
HASH_NOT_FLOAT = "ERR hash value is not a float"


# Sorted sets.
ZADD_XX_NX = "ERR XX and NX options at the same time are not compatible"
ZADD_GT_LT_NX = "ERR GT, LT, and/or NX options at the same time are not compatible"
ZADD_INCR_PAIR = "ERR INCR option supports a single increment-element pair"
SCORE_NAN = "ERR resulting score is not a number (NaN)"
MIN_MAX_FLOAT = "ERR min or max is not a float"
MIN_MAX_LEX = "ERR min or max not valid string range item"
LIMIT_NEEDS_BY = (
    "ERR syntax error, LIMIT is only supported in combination with either BYSCORE or BYLEX"
)
WITHSCORES_BYLEX = "ERR syntax error, WITHSCORES not supported in combination with BYLEX"
WEIGHT_FLOAT = "ERR weight value is not a float"


def needs_input_key(name: str) -> str:
    return "ERR at least 1 input key is needed for '%s' command" % name


HASH_INCR_NAN = "ERR value is NaN or Infinity"
