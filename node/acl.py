"""ACL users: who may connect, with which password, and what each may run and touch.

Owns users, their passwords (stored as SHA-256 hex, like Redis), their flags,
their permissions (a set of allowed commands over the command table, key
patterns, channel patterns), the ACL SETUSER rule language and the checks the
dispatcher asks for. The rule semantics and error texts follow Redis 7.0's
acl.c; describing a user back as rules lives in node.acl_describe.
Must not know clients or sockets: callers pass a user name and a command's
table entry and arguments.

Deliberate differences from Redis 7.0: selectors (`(...)` rules) and the
read/write key permissions (`%R~`, `%W~`) are refused with "Syntax error"
rather than half-enforced.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass, field

from node.commands.keyspecs import get_keys
from node.commands.spec import CommandSpec
from node.commands.table import COMMANDS, all_specs
from node.glob import match

# Redis's ACLCommandCategories, in its order (ACL CAT lists them so).
CATEGORIES = (
    "keyspace", "read", "write", "set", "sortedset", "list", "hash", "string", "bitmap",
    "hyperloglog", "geo", "stream", "pubsub", "admin", "fast", "slow", "blocking",
    "dangerous", "connection", "transaction", "scripting",
)  # fmt: skip

# Every command and subcommand, each container followed by its subcommands.
SPECS: tuple[CommandSpec, ...] = tuple(all_specs())
ALL_NAMES: frozenset[str] = frozenset(s.name for s in SPECS)

NOPERM_KEY = "NOPERM this user has no permissions to access one of the keys used as arguments"
NOPERM_CHANNEL = (
    "NOPERM this user has no permissions to access one of the channels used as arguments"
)

# Pub/sub commands whose arguments are channels: (first argument, only one, patterns).
# A pattern is allowed only when it equals one of the user's channel patterns.
_CHANNEL_ARGS: dict[str, tuple[bool, bool]] = {
    "publish": (True, False),
    "spublish": (True, False),
    "subscribe": (False, False),
    "ssubscribe": (False, False),
    "psubscribe": (False, True),
}

_SYNTAX = "Syntax error"
_UNKNOWN = "Unknown command or category name in ACL"
_BAD_HASH = (
    "The password hash must be exactly 64 characters and contain only lowercase "
    "hexadecimal characters"
)
_NO_SUCH_PASS = "The password you are trying to remove from the user does not exist"
_AFTER_ALLKEYS = (
    "Adding a pattern after the * pattern (or the 'allkeys' flag) is not valid and does not "
    "have any effect. Try 'resetkeys' to start with an empty list of patterns"
)
_AFTER_ALLCHANNELS = (
    "Adding a pattern after the * pattern (or the 'allchannels' flag) is not valid and does "
    "not have any effect. Try 'resetchannels' to start with an empty list of channels"
)
_FIRSTARG_OF_SUB = "Allowing first-arg of a subcommand is not supported"
_SPACES = b" \t\n\v\f\r\x00"


class RuleError(ValueError):
    """A rule ACL SETUSER refuses; the message is Redis's reason."""


def hash_password(password: bytes) -> str:
    return hashlib.sha256(password).hexdigest()


def has_spaces(text: bytes) -> bool:
    """Redis's ACLStringHasSpaces: whitespace or NUL make a name or pattern invalid."""
    return any(c in _SPACES for c in text)


def lookup_command(name: str) -> CommandSpec | None:
    """A command or `container|sub`, case-insensitively, as ACL rules name them."""
    parts = name.lower().split("|")
    spec = COMMANDS.get(parts[0])
    if spec is None or len(parts) > 2:
        return None
    if len(parts) == 2:
        return spec.subcommands.get(parts[1])
    return spec


def category_of(name: str) -> str | None:
    lowered = name.lower()
    return lowered if lowered in CATEGORIES else None


def grant(bits: set[str], spec: CommandSpec, allow: bool) -> None:
    """Redis's ACLChangeSelectorPerm on a bit set: a container carries its subcommands."""
    names = [spec.name, *(s.name for s in spec.subcommands.values())]
    if allow:
        bits.update(names)
    else:
        bits.difference_update(names)


def grant_category(bits: set[str], category: str, allow: bool) -> None:
    for spec in SPECS:
        if category in spec.acl_categories:
            grant(bits, spec, allow)


@dataclass
class User:
    name: str
    enabled: bool = False
    nopass: bool = False
    # "", "sanitize-payload" or "skip-sanitize-payload" (set only when a rule says so).
    sanitize: str = ""
    passwords: list[str] = field(default_factory=list)
    # Redis's SELECTOR_FLAG_ALLCOMMANDS: +@all, cleared by any removal.
    all_commands: bool = False
    # Redis's reserved "future commands" bit: set by +@all, cleared by -@all only.
    future: bool = False
    allowed: set[str] = field(default_factory=set)
    # Allowed first arguments of otherwise blocked commands (+select|0).
    first_args: dict[str, list[str]] = field(default_factory=dict)
    all_keys: bool = False
    key_patterns: list[bytes] = field(default_factory=list)
    all_channels: bool = False
    channel_patterns: list[bytes] = field(default_factory=list)

    @property
    def unrestricted(self) -> bool:
        return self.all_commands and self.all_keys and self.all_channels

    def flags(self) -> list[str]:
        out = ["on" if self.enabled else "off"]
        if self.nopass:
            out.append("nopass")
        if self.sanitize:
            out.append(self.sanitize)
        return out

    def copy(self) -> User:
        return User(
            self.name, self.enabled, self.nopass, self.sanitize, list(self.passwords),
            self.all_commands, self.future, set(self.allowed),
            {k: list(v) for k, v in self.first_args.items()},
            self.all_keys, list(self.key_patterns), self.all_channels,
            list(self.channel_patterns),
        )  # fmt: skip

    # -- permissions ----------------------------------------------------------------

    def may_run(self, spec: CommandSpec, argv: list[bytes]) -> bool:
        if self.all_commands or "no_auth" in spec.flags or spec.name in self.allowed:
            return True
        allowed_args = self.first_args.get(spec.name)
        if not allowed_args or len(argv) < 2:
            return False
        first = argv[1].decode("utf-8", "surrogateescape").lower()
        return any(first == arg.lower() for arg in allowed_args)

    def may_touch(self, key: bytes) -> bool:
        return self.all_keys or any(match(p, key) for p in self.key_patterns)

    def may_use_channel(self, channel: bytes, is_pattern: bool) -> bool:
        if self.all_channels:
            return True
        if is_pattern:
            return channel in self.channel_patterns
        return any(match(p, channel) for p in self.channel_patterns)

    # -- rules ------------------------------------------------------------------------

    def apply(self, rule: bytes) -> None:
        """One ACL SETUSER rule (Redis's ACLSetUser); raises RuleError."""
        if not rule:
            return
        word = rule.lower()
        simple = _USER_RULES.get(word)
        if simple is not None:
            simple(self)
        elif rule[:1] in (b">", b"#"):
            digest = _digest(rule)
            if digest not in self.passwords:
                self.passwords.append(digest)
            self.nopass = False
        elif rule[:1] in (b"<", b"!"):
            digest = _digest(rule)
            if digest not in self.passwords:
                raise RuleError(_NO_SUCH_PASS)
            self.passwords.remove(digest)
        else:
            self._apply_permission(rule, word)

    def _apply_permission(self, rule: bytes, word: bytes) -> None:
        simple = _PERMISSION_RULES.get(word)
        if simple is not None:
            simple(self)
        elif rule[:1] == b"~":
            self._add_key_pattern(rule[1:])
        elif rule[:1] == b"&":
            self._add_channel_pattern(rule[1:])
        elif rule[:2] in (b"+@", b"-@"):
            category = category_of(rule[2:].decode("utf-8", "replace"))
            if category is None:
                raise RuleError(_UNKNOWN)
            self._grant_category(category, rule[:1] == b"+")
        elif rule[:1] == b"+":
            self._allow_command(rule[1:].decode("utf-8", "surrogateescape"))
        elif rule[:1] == b"-":
            spec = lookup_command(rule[1:].decode("utf-8", "surrogateescape"))
            if spec is None:
                raise RuleError(_UNKNOWN)
            self._grant(spec, False)
        else:
            raise RuleError(_SYNTAX)

    def _grant(self, spec: CommandSpec, allow: bool) -> None:
        grant(self.allowed, spec, allow)
        self.first_args.pop(spec.name, None)
        if not allow:
            self.all_commands = False

    def _grant_category(self, category: str, allow: bool) -> None:
        for spec in SPECS:
            if category in spec.acl_categories:
                self._grant(spec, allow)

    def _allow_command(self, name: str) -> None:
        if "|" not in name:
            spec = lookup_command(name)
            if spec is None:
                raise RuleError(_UNKNOWN)
            self._grant(spec, True)
            return
        base_name, _, first = name.rpartition("|")
        base = lookup_command(base_name)
        if base is None:
            raise RuleError(_UNKNOWN)
        if "|" in base.name:
            raise RuleError(_FIRSTARG_OF_SUB)
        if not first:
            raise RuleError(_SYNTAX)
        if base.subcommands:
            sub = base.subcommands.get(first.lower())
            if sub is None:
                raise RuleError(_UNKNOWN)
            self._grant(sub, True)
            return
        # Redis keeps this deprecated form: allow e.g. SELECT only with argument 0.
        known = self.first_args.setdefault(base.name, [])
        if all(first.lower() != arg.lower() for arg in known):
            known.append(first)

    def _add_key_pattern(self, pattern: bytes) -> None:
        if self.all_keys:
            raise RuleError(_AFTER_ALLKEYS)
        if has_spaces(pattern):
            raise RuleError(_SYNTAX)
        if pattern not in self.key_patterns:
            self.key_patterns.append(pattern)

    def _add_channel_pattern(self, pattern: bytes) -> None:
        if self.all_channels:
            raise RuleError(_AFTER_ALLCHANNELS)
        if has_spaces(pattern):
            raise RuleError(_SYNTAX)
        if pattern not in self.channel_patterns:
            self.channel_patterns.append(pattern)


def _digest(rule: bytes) -> str:
    """The stored hash a password rule names: `>clear`/`<clear` or `#hash`/`!hash`."""
    if rule[:1] in (b">", b"<"):
        return hash_password(rule[1:])
    text = rule[1:].decode("latin-1")
    if len(text) != 64 or any(c not in "0123456789abcdef" for c in text):
        raise RuleError(_BAD_HASH)
    return text


def _on(u: User) -> None:
    u.enabled = True


def _off(u: User) -> None:
    u.enabled = False


def _sanitize(u: User) -> None:
    u.sanitize = "sanitize-payload"


def _skip_sanitize(u: User) -> None:
    u.sanitize = "skip-sanitize-payload"


def _nopass(u: User) -> None:
    u.nopass = True
    u.passwords.clear()


def _resetpass(u: User) -> None:
    u.nopass = False
    u.passwords.clear()


def _allkeys(u: User) -> None:
    u.all_keys = True
    u.key_patterns = [b"*"]


def _resetkeys(u: User) -> None:
    u.all_keys = False
    u.key_patterns = []


def _allchannels(u: User) -> None:
    u.all_channels = True
    u.channel_patterns = [b"*"]


def _resetchannels(u: User) -> None:
    u.all_channels = False
    u.channel_patterns = []


def _allcommands(u: User) -> None:
    u.all_commands = u.future = True
    u.allowed = set(ALL_NAMES)
    u.first_args.clear()


def _nocommands(u: User) -> None:
    u.all_commands = u.future = False
    u.allowed = set()
    u.first_args.clear()


def _clearselectors(u: User) -> None:
    return None  # no selectors beyond the root one are ever created


def _reset(u: User) -> None:
    # Redis 7.0's "reset" with acl-pubsub-default resetchannels.
    for step in (_resetpass, _resetkeys, _resetchannels, _off, _sanitize, _nocommands):
        step(u)


_USER_RULES = {
    b"on": _on, b"off": _off, b"sanitize-payload": _sanitize,
    b"skip-sanitize-payload": _skip_sanitize, b"nopass": _nopass, b"resetpass": _resetpass,
    b"clearselectors": _clearselectors, b"reset": _reset,
}  # fmt: skip
_PERMISSION_RULES = {
    b"allkeys": _allkeys, b"~*": _allkeys, b"resetkeys": _resetkeys,
    b"allchannels": _allchannels, b"&*": _allchannels, b"resetchannels": _resetchannels,
    b"allcommands": _allcommands, b"+@all": _allcommands,
    b"nocommands": _nocommands, b"-@all": _nocommands,
}  # fmt: skip


def new_user(name: str) -> User:
    """A user ACL SETUSER creates: off, no passwords, no permissions."""
    return User(name)


class Acl:
    def __init__(self) -> None:
        self.users: dict[str, User] = {"default": _default_user()}

    def set_requirepass(self, password: str) -> None:
        """requirepass is the default user's single password (empty: nopass)."""
        user = self.users["default"]
        _resetpass(user)
        if password:
            user.apply(b">" + password.encode("utf-8", "surrogateescape"))
        else:
            _nopass(user)

    def setuser(self, name: str, rules: list[bytes]) -> None:
        """Apply every rule to a copy and keep it only if all succeed (atomic, as in Redis).

        Raises RuleError whose message names the failing rule.
        """
        current = self.users.get(name)
        user = current.copy() if current is not None else new_user(name)
        for rule in rules:
            if rule[:1] == b"(" or rule[:1] == b"%":
                raise RuleError(_modifier_error(rule, _SYNTAX))
            try:
                user.apply(rule)
            except RuleError as exc:
                raise RuleError(_modifier_error(rule, str(exc))) from None
        self.users[name] = user

    def authenticate(self, username: str, password: bytes) -> bool:
        user = self.users.get(username)
        if user is None or not user.enabled:
            return False
        if user.nopass:
            return True
        digest = hash_password(password)
        return any(hmac.compare_digest(digest, p) for p in user.passwords)

    def needs_auth(self) -> bool:
        """A new connection starts as 'default'; it must AUTH unless that needs nothing."""
        user = self.users["default"]
        return not (user.enabled and user.nopass)

    def check(self, username: str, spec: CommandSpec, argv: list[bytes]) -> str | None:
        """None when allowed, else the NOPERM reply (command, then keys, then channels)."""
        user = self.users.get(username)
        if user is None or not user.may_run(spec, argv):
            return "NOPERM this user has no permissions to run the '%s' command" % spec.name
        if not user.all_keys:
            # Key specs that cannot be followed name no keys, as in Redis; the command fails later.
            for i in get_keys(spec, argv) or ():
                if not user.may_touch(argv[i]):
                    return NOPERM_KEY
        channels = _CHANNEL_ARGS.get(spec.name)
        if channels is not None and not user.all_channels:
            only_first, is_pattern = channels
            for channel in argv[1:2] if only_first else argv[1:]:
                if not user.may_use_channel(channel, is_pattern):
                    return NOPERM_CHANNEL
        return None


def _modifier_error(rule: bytes, reason: str) -> str:
    return "ERR Error in ACL SETUSER modifier '%s': %s" % (
        rule.decode("utf-8", "replace"),
        reason,
    )


def _default_user() -> User:
    user = User("default", enabled=True, nopass=True)
    _allkeys(user)
    _allchannels(user)
    _allcommands(user)
    return user
