"""The ACL user model: rules, their errors, descriptions and permission checks.

Expected descriptions and error texts were taken from redis-server 7.0.15 given
the same rules (tests/integration/test_security.py compares live).
"""

from __future__ import annotations

import pytest

from node.acl import Acl, RuleError, hash_password
from node.acl_describe import describe_commands, describe_user
from node.commands.spec import CommandSpec
from node.commands.table import COMMANDS


def spec(name: str) -> CommandSpec:
    base, _, sub = name.partition("|")
    found = COMMANDS[base]
    return found.subcommands[sub] if sub else found


def make(*rules: str) -> Acl:
    acl = Acl()
    acl.setuser("u", [r.encode() for r in rules])
    return acl


def test_default_user_is_described_like_redis() -> None:
    assert describe_user(Acl().users["default"]) == "on nopass ~* &* +@all"


def test_new_user_is_off_without_permissions() -> None:
    acl = make()
    assert describe_user(acl.users["u"]) == "off resetchannels -@all"
    assert not acl.authenticate("u", b"")


def test_reset_adds_sanitize_payload() -> None:
    assert describe_user(make("on", "+@all", "reset").users["u"]) == (
        "off sanitize-payload resetchannels -@all"
    )


@pytest.mark.parametrize(
    ("rules", "expected"),
    [
        (["-@all", "+@string", "-get", "+@read"], "-@all +@read +@string"),
        (["+@all", "-get"], "+@all -get"),
        (["+@all", "-@keyspace"], "+@all -@keyspace"),
        (["-@all", "+@transaction", "+@connection"], "-@all +@connection +@transaction"),
        (["allcommands", "-@all", "+get"], "-@all +get"),
        (["+select|0", "+select|1", "-@all", "+get|foo", "+select|X", "+select|x"],
         "-@all +select|X +get|foo"),
        (["+acl|whoami", "-acl|whoami"], "-@all"),
        (["+acl"], "-@all +acl"),
    ],
)  # fmt: skip
def test_command_rules_are_recomputed_like_redis(rules: list[str], expected: str) -> None:
    assert describe_commands(make(*rules).users["u"]) == expected


def test_patterns_and_passwords_are_deduplicated_in_order() -> None:
    user = make("on", ">a", ">b", ">a", "~k1", "~k2", "~k1", "&c", "&c").users["u"]
    assert describe_user(user) == (
        f"on #{hash_password(b'a')} #{hash_password(b'b')} ~k1 ~k2 resetchannels &c -@all"
    )


@pytest.mark.parametrize(
    ("rule", "reason"),
    [
        ("foo", "Syntax error"),
        ("+nosuch", "Unknown command or category name in ACL"),
        ("+@nosuch", "Unknown command or category name in ACL"),
        ("-get|x", "Unknown command or category name in ACL"),
        ("+acl|nosuch", "Unknown command or category name in ACL"),
        ("+acl|", "Syntax error"),
        ("+acl|whoami|x", "Allowing first-arg of a subcommand is not supported"),
        ("<nopw", "The password you are trying to remove from the user does not exist"),
        ("#abc", "The password hash must be exactly 64 characters and contain only "
                 "lowercase hexadecimal characters"),
        ("!" + "A" * 64, "The password hash must be exactly 64 characters and contain only "
                         "lowercase hexadecimal characters"),
        ("%R~x", "Syntax error"),  # geokv refuses read/write key permissions
    ],
)  # fmt: skip
def test_rule_errors_name_the_modifier(rule: str, reason: str) -> None:
    with pytest.raises(RuleError) as exc:
        make(rule)
    assert str(exc.value) == f"ERR Error in ACL SETUSER modifier '{rule}': {reason}"


def test_patterns_after_all_patterns_are_refused() -> None:
    with pytest.raises(RuleError, match="'~foo': Adding a pattern after the"):
        make("allkeys", "~foo")
    with pytest.raises(RuleError, match="'&foo': Adding a pattern after the"):
        make("allchannels", "&foo")
    assert describe_user(make("allkeys", "~*", "resetkeys", "~k").users["u"]).startswith("off ~k ")


def test_setuser_is_all_or_nothing() -> None:
    acl = make("on", ">pw", "+get")
    with pytest.raises(RuleError):
        acl.setuser("u", [b"off", b"+set", b"bogus"])
    assert describe_user(acl.users["u"]) == f"on #{hash_password(b'pw')} resetchannels -@all +get"
    with pytest.raises(RuleError):
        acl.setuser("fresh", [b"on", b"bogus"])
    assert "fresh" not in acl.users


def test_authentication_rules() -> None:
    acl = make("on", ">a", ">b", "<a")
    assert not acl.authenticate("u", b"a")
    assert acl.authenticate("u", b"b")
    acl.setuser("u", [b"off"])
    assert not acl.authenticate("u", b"b")
    acl.setuser("n", [b"on", b"nopass"])
    assert acl.authenticate("n", b"anything")
    assert not acl.authenticate("nobody", b"")


def test_requirepass_is_the_default_users_only_password() -> None:
    acl = Acl()
    assert not acl.needs_auth()
    acl.set_requirepass("s3cret")
    assert acl.needs_auth()
    assert acl.users["default"].passwords == [hash_password(b"s3cret")]
    assert acl.authenticate("default", b"s3cret")
    assert not acl.authenticate("default", b"other")
    acl.set_requirepass("")
    assert not acl.needs_auth()
    assert acl.users["default"].passwords == []


NOPERM_GET = "NOPERM this user has no permissions to run the 'get' command"


def test_check_commands_subcommands_and_first_args() -> None:
    acl = make("on", "nopass", "allkeys", "+set", "+acl|whoami", "+select|0")
    assert acl.check("u", spec("get"), [b"get", b"k"]) == NOPERM_GET
    assert acl.check("u", spec("set"), [b"set", b"k", b"v"]) is None
    assert acl.check("u", spec("acl|whoami"), [b"acl", b"whoami"]) is None
    assert acl.check("u", spec("acl|list"), [b"acl", b"list"]) == (
        "NOPERM this user has no permissions to run the 'acl|list' command"
    )
    assert acl.check("u", spec("select"), [b"select", b"0"]) is None
    assert acl.check("u", spec("select"), [b"select", b"1"]) is not None
    # AUTH and the other no-auth commands are always allowed.
    assert acl.check("u", spec("auth"), [b"auth", b"x"]) is None
    assert acl.check("nobody", spec("get"), [b"get", b"k"]) == NOPERM_GET


def test_check_categories_follow_the_table() -> None:
    acl = make("on", "allkeys", "+@read", "-@string")
    assert acl.check("u", spec("exists"), [b"exists", b"k"]) is None
    assert acl.check("u", spec("get"), [b"get", b"k"]) == NOPERM_GET


def test_check_keys_against_patterns() -> None:
    acl = make("on", "+@all", "~k*", "~exact")
    assert acl.check("u", spec("mget"), [b"mget", b"k1", b"exact"]) is None
    assert acl.check("u", spec("mget"), [b"mget", b"k1", b"other"]) == (
        "NOPERM this user has no permissions to access one of the keys used as arguments"
    )
    assert acl.check("u", spec("mset"), [b"mset", b"k1", b"any value", b"k2", b"v"]) is None


NOPERM_CHANNEL = (
    "NOPERM this user has no permissions to access one of the channels used as arguments"
)


def test_check_channels() -> None:
    acl = make("on", "+@all", "&news.*")
    assert acl.check("u", spec("publish"), [b"publish", b"news.eu", b"other"]) is None
    assert acl.check("u", spec("publish"), [b"publish", b"sports", b"m"]) == NOPERM_CHANNEL
    assert acl.check("u", spec("subscribe"), [b"subscribe", b"news.a", b"news.b"]) is None
    assert acl.check("u", spec("subscribe"), [b"subscribe", b"news.a", b"x"]) == NOPERM_CHANNEL
    # A pattern is allowed only when it is literally one of the user's patterns.
    assert acl.check("u", spec("psubscribe"), [b"psubscribe", b"news.*"]) is None
    assert acl.check("u", spec("psubscribe"), [b"psubscribe", b"news.e*"]) == NOPERM_CHANNEL
    assert acl.check("u", spec("unsubscribe"), [b"unsubscribe", b"x"]) is None


def test_command_denial_comes_before_key_denial() -> None:
    acl = make("on", "~k*", "+set")
    assert acl.check("u", spec("get"), [b"get", b"other"]) == NOPERM_GET
