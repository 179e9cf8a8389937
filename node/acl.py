"""ACL users: who may connect, with which password, and what each may run and touch.

Owns users, their passwords (stored as SHA-256, like Redis), their enabled
state and their permissions (commands and categories, key patterns, channel
patterns). Must not know clients or sockets: callers pass a user name and a
command's table entry and arguments.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass, field

from node.commands.table import CommandSpec
from node.glob import match


def hash_password(password: bytes) -> str:
    return hashlib.sha256(password).hexdigest()


@dataclass
class User:
    name: str
    enabled: bool = True
    nopass: bool = False
    passwords: set[str] = field(default_factory=set)
    all_commands: bool = False
    allowed: set[str] = field(default_factory=set)
    key_patterns: list[bytes] = field(default_factory=list)
    channel_patterns: list[bytes] = field(default_factory=list)

    @property
    def unrestricted(self) -> bool:
        return self.all_commands and self.key_patterns == [b"*"] and self.channel_patterns == [b"*"]

    def may_run(self, spec: CommandSpec) -> bool:
        return self.all_commands or spec.name in self.allowed

    def may_touch(self, key: bytes) -> bool:
        return any(match(p, key) for p in self.key_patterns)

    def may_listen(self, channel: bytes) -> bool:
        return any(match(p, channel) for p in self.channel_patterns)


class Acl:
    def __init__(self) -> None:
        self.users: dict[str, User] = {"default": _default_user()}

    def set_requirepass(self, password: str) -> None:
        """requirepass is the default user's single password (empty: nopass)."""
        user = self.users["default"]
        user.passwords = {hash_password(password.encode())} if password else set()
        user.nopass = not password

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
        """None when allowed, else the NOPERM reply."""
        user = self.users.get(username)
        if user is None:
            return "NOPERM this user has no permissions to run the '%s' command" % spec.name
        if user.unrestricted:
            return None
        if not user.may_run(spec):
            return "NOPERM this user has no permissions to run the '%s' command" % spec.name
        for i in spec.key_indexes(len(argv)):
            if not user.may_touch(argv[i]):
                return "NOPERM this user has no permissions to access one of the keys used as arguments"
        return None


def _default_user() -> User:
    return User(
        "default",
        nopass=True,
        all_commands=True,
        key_patterns=[b"*"],
        channel_patterns=[b"*"],
    )
