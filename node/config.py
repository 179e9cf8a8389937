"""Node configuration: every setting, its type, default, limits and whether CONFIG SET may change it.

Owns parsing from `--name value` flags, from a redis.conf-style file and from
CONFIG SET, with Redis's names where Redis has the setting and its exact
error texts. Must not know commands, clients or the keyspace; other parts
subscribe to changes through `on_change`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from node.glob import match
from node.resp import split_args


class ConfigError(ValueError):
    """A value a setting refuses; the message is the reason (Redis's wording)."""


_UNITS = {
    "": 1, "b": 1, "k": 1000, "kb": 1024, "m": 1000**2, "mb": 1024**2,
    "g": 1000**3, "gb": 1024**3,
}  # fmt: skip


def parse_memory(text: str) -> int:
    """Redis's memtoull: a byte count with an optional unit (k=1000, kb=1024)."""
    lowered = text.strip().lower()
    digits = lowered.rstrip("kmgb")
    unit = lowered[len(digits) :]
    if not digits.isdigit() or unit not in _UNITS:
        raise ConfigError("argument must be a memory value")
    return int(digits) * _UNITS[unit]


def parse_bool(text: str) -> bool:
    lowered = text.lower()
    if lowered == "yes":
        return True
    if lowered == "no":
        return False
    raise ConfigError("argument must be 'yes' or 'no'")


@dataclass(frozen=True)
class Setting:
    name: str
    default: str
    parse: Callable[[str], Any]
    render: Callable[[Any], str]
    mutable: bool = True
    sensitive: bool = False


def _int(lo: int, hi: int) -> Callable[[str], int]:
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise ConfigError("argument couldn't be parsed into an integer") from None
        if not lo <= value <= hi:
            raise ConfigError(f"argument must be between {lo} and {hi} inclusive")
        return value

    return parse


def _memory(lo: int = 0) -> Callable[[str], int]:
    def parse(text: str) -> int:
        value = parse_memory(text)
        if value < lo:
            raise ConfigError(f"argument must be between {lo} and {2**63 - 1} inclusive")
        return value

    return parse


def _enum(*choices: str) -> Callable[[str], str]:
    def parse(text: str) -> str:
        if text.lower() not in choices:
            raise ConfigError("argument(s) must be one of the following: " + ", ".join(choices))
        return text.lower()

    return parse


def _string(text: str) -> str:
    return text


def _words(text: str) -> tuple[str, ...]:
    return tuple(text.split())


def _region(text: str) -> str:
    if not text or not all(c.isalnum() or c in "-_" for c in text) or len(text) > 64:
        raise ConfigError("argument must be 1 to 64 letters, digits, '-' or '_'")
    return text


def _peers(text: str) -> tuple[tuple[str, str], ...]:
    """'eu=10.0.0.1:7001 us=10.0.0.2:7001': each peer region and its replication address."""
    out: list[tuple[str, str]] = []
    for word in text.split():
        region, sep, address = word.partition("=")
        host, colon, port = address.rpartition(":")
        if not sep or not colon or not host or not port.isdigit() or not 0 < int(port) < 65536:
            raise ConfigError(f"peer {word!r} is not region=host:port")
        out.append((_region(region), address))
    return tuple(out)


def _render_peers(value: tuple[tuple[str, str], ...]) -> str:
    return " ".join(f"{region}={address}" for region, address in value)


def _output_limits(text: str) -> dict[str, tuple[int, int, int]]:
    """'normal 0 0 0 pubsub 32mb 8mb 60': class, hard limit, soft limit, soft seconds."""
    words = text.split()
    if len(words) % 4:
        raise ConfigError("Wrong number of arguments in buffer limit configuration.")
    limits = dict(DEFAULT_OUTPUT_LIMITS)
    for i in range(0, len(words), 4):
        cls = words[i].lower()
        if cls == "slave":
            cls = "replica"
        if cls not in limits:
            raise ConfigError("Invalid client class specified in buffer limit configuration.")
        try:
            hard, soft = parse_memory(words[i + 1]), parse_memory(words[i + 2])
            seconds = int(words[i + 3])
        except (ConfigError, ValueError):
            raise ConfigError(
                "Error in hard, soft or soft_seconds setting in buffer limit configuration."
            ) from None
        limits[cls] = (hard, soft, seconds)
    return limits


def _render_limits(value: dict[str, tuple[int, int, int]]) -> str:
    return " ".join(f"{cls} {h} {s} {sec}" for cls, (h, s, sec) in value.items())


def _yesno(value: bool) -> str:
    return "yes" if value else "no"


DEFAULT_OUTPUT_LIMITS = {
    "normal": (0, 0, 0),
    "replica": (256 * 1024**2, 64 * 1024**2, 60),
    "pubsub": (32 * 1024**2, 8 * 1024**2, 60),
}

SETTINGS: tuple[Setting, ...] = (
    Setting("port", "6379", _int(0, 65535), str, mutable=False),
    Setting("bind", "127.0.0.1 -::1", _words, " ".join, mutable=False),
    Setting("protected-mode", "yes", parse_bool, _yesno),
    Setting("dir", "./data", _string, str, mutable=False),
    Setting("requirepass", "", _string, str, sensitive=True),
    Setting("appendonly", "yes", parse_bool, _yesno, mutable=False),
    Setting("appendfsync", "everysec", _enum("always", "everysec", "no"), str),
    Setting("binlog-segment-size", "64mb", _memory(4096), str, mutable=False),
    Setting("binlog-history-size", "1gb", _memory(), str, mutable=False),
    Setting("binlog-history-seconds", "604800", _int(0, 2**31 - 1), str, mutable=False),
    Setting("binlog-snapshot-every", "16mb", _memory(), str),
    Setting("save", "", _string, str, mutable=False),
    Setting("maxmemory", "0", _memory(), str),
    Setting("maxmemory-policy", "noeviction", _enum("noeviction"), str),
    Setting("maxclients", "10000", _int(1, 1_000_000), str),
    Setting("timeout", "0", _int(0, 2**31 - 1), str),
    Setting("tcp-keepalive", "300", _int(0, 2**31 - 1), str),
    Setting("hz", "10", _int(1, 500), str),
    # Fault injection (tests/chaos): shifts this node's wall clock, as a skewed host would.
    Setting("clock-skew-ms", "0", _int(-86_400_000, 86_400_000), str),
    # DEBUG (its BINLOG-FAULT makes the binlog's disk slow or failing): off, as in Redis 7.
    Setting("enable-debug-command", "no", _enum("no", "yes", "local"), str, mutable=False),
    Setting("databases", "1", _int(1, 1), str, mutable=False),
    Setting("proto-max-bulk-len", "512mb", _memory(1024 * 1024), str),
    Setting("client-query-buffer-limit", "1gb", _memory(1024 * 1024), str),
    Setting("client-output-buffer-limit", "normal 0 0 0 replica 268435456 67108864 60 pubsub 33554432 8388608 60", _output_limits, _render_limits),
    Setting("slowlog-log-slower-than", "10000", _int(-1, 2**63 - 1), str),
    Setting("slowlog-max-len", "128", _int(0, 2**63 - 1), str),
    Setting("loglevel", "notice", _enum("debug", "verbose", "notice", "warning", "nothing"), str),
    Setting("logfile", "", _string, str, mutable=False),
    Setting("tls-port", "0", _int(0, 65535), str, mutable=False),
    Setting("tls-cert-file", "", _string, str, mutable=False),
    Setting("tls-key-file", "", _string, str, mutable=False),
    Setting("tls-ca-cert-file", "", _string, str, mutable=False),
    Setting("tls-auth-clients", "yes", _enum("yes", "no", "optional"), str, mutable=False),
    Setting("region-id", "local", _region, str, mutable=False),
    Setting("cluster-id", "geokv", _region, str, mutable=False),
    Setting("replication-port", "0", _int(0, 65535), str, mutable=False),
    Setting("peers", "", _peers, _render_peers, mutable=False),
    # Seconds a region that may have lost records of its own waits for its peers
    # to send them back before it takes writes anyway (replicator/ownrecords.py).
    Setting("own-records-timeout", "30", _int(0, 2**31 - 1), str),
    Setting("replication-tls-cert-file", "", _string, str, mutable=False),
    Setting("replication-tls-key-file", "", _string, str, mutable=False),
    Setting("replication-tls-ca-cert-file", "", _string, str, mutable=False),
    Setting("replication-compression", "no", _enum("no", "gzip"), str, mutable=False),
    Setting("metrics-port", "0", _int(0, 65535), str, mutable=False),
)  # fmt: skip

BY_NAME = {s.name: s for s in SETTINGS}


class Config:
    def __init__(self) -> None:
        self._values: dict[str, Any] = {s.name: s.parse(s.default) for s in SETTINGS}
        self._listeners: list[Callable[[str, Any], None]] = []

    def __getitem__(self, name: str) -> Any:
        return self._values[name]

    def on_change(self, listener: Callable[[str, Any], None]) -> None:
        self._listeners.append(listener)

    def set_many(self, pairs: Iterable[tuple[str, str]], *, at_start: bool = False) -> None:
        """Validate every pair first, then apply all: all or nothing, like CONFIG SET.

        Raises ConfigError("'name' ...") naming the offending setting.
        """
        staged: dict[str, Any] = {}
        for raw_name, text in pairs:
            name = raw_name.lower()
            setting = BY_NAME.get(name)
            if setting is None:
                raise UnknownSetting(raw_name)
            if not at_start and not setting.mutable:
                raise InvalidValue(name, "can't set immutable config")
            if name in staged and not at_start:
                raise InvalidValue(name, "duplicate parameter")
            try:
                staged[name] = setting.parse(text)
            except ConfigError as exc:
                raise InvalidValue(name, str(exc)) from None
        for name, value in staged.items():
            self._values[name] = value
            for listener in self._listeners:
                listener(name, value)

    def get_matching(self, patterns: Iterable[str]) -> dict[str, str]:
        out: dict[str, str] = {}
        for pattern in patterns:
            lowered = pattern.lower()
            for setting in SETTINGS:
                if match(lowered.encode(), setting.name.encode(), nocase=True):
                    out[setting.name] = setting.render(self._values[setting.name])
        return out

    def load_file(self, path: Path) -> None:
        pairs: list[tuple[str, str]] = []
        for number, line in enumerate(path.read_text().splitlines(), 1):
            stripped = line.strip()
            if not stripped or stripped.startswith("#"):
                continue
            words = split_args(stripped.encode())
            if not words or len(words) < 2:
                raise InvalidValue(
                    (words[0].decode() if words else "?"),
                    f"wrong number of arguments at {path}:{number}",
                )
            pairs.append((words[0].decode(), " ".join(w.decode() for w in words[1:])))
        self.set_many(pairs, at_start=True)


class UnknownSetting(ConfigError):
    def __init__(self, name: str) -> None:
        super().__init__(name)
        self.name = name


class InvalidValue(ConfigError):
    def __init__(self, name: str, reason: str) -> None:
        super().__init__(f"{name}: {reason}")
        self.name = name
        self.reason = reason
