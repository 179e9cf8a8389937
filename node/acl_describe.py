"""Describing an ACL user back as rules: ACL LIST lines and ACL GETUSER fields.

Owns Redis 7.0's ACLDescribeUser and ACLDescribeSelectorCommandRules: the
command rules are recomputed from the set of allowed commands (start from
+@all or -@all, greedily pick the categories that fit best, then fix single
commands), so they read like Redis's and not like the rules as typed.
Single commands come in command-table order; Redis uses its hash table's
order, which changes from process to process.
Must not know clients or how rules are parsed (node.acl does).
"""

from __future__ import annotations

from node.acl import CATEGORIES, SPECS, User, grant, grant_category


def describe_user(user: User) -> str:
    """The ACL LIST line without its `user <name> ` prefix."""
    parts = [*user.flags(), *("#" + p for p in user.passwords)]
    parts.append(describe_keys(user))
    parts.append(_channels_rule(user))
    parts.append(describe_commands(user))
    return " ".join(p for p in parts if p)


def describe_keys(user: User) -> str:
    if user.all_keys:
        return "~*"
    return " ".join("~" + _text(p) for p in user.key_patterns)


def describe_channels(user: User) -> str:
    """GETUSER's channels field (no 'resetchannels' prefix)."""
    if user.all_channels:
        return "&*"
    return " ".join("&" + _text(p) for p in user.channel_patterns)


def _channels_rule(user: User) -> str:
    if user.all_channels:
        return "&*"
    return " ".join(["resetchannels", *("&" + _text(p) for p in user.channel_patterns)])


def describe_commands(user: User) -> str:
    additive = not user.future
    rules = ["-@all" if additive else "+@all"]
    fake: set[str] = set() if additive else {s.name for s in SPECS}
    # What is left to explain: each chosen category is taken back out of it.
    left = set(user.allowed)
    applied: set[str] = set()
    while True:
        best = _best_category(left, applied, additive)
        if best is None:
            break
        grant_category(fake, best, additive)
        grant_category(left, best, not additive)
        rules.append(("+@" if additive else "-@") + best)
        applied.add(best)
    for spec in SPECS:
        allowed = spec.name in user.allowed
        if allowed != (spec.name in fake):
            rules.append(("+" if allowed else "-") + spec.name)
            grant(fake, spec, allowed)
        if not allowed:
            rules.extend(f"+{spec.name}|{arg}" for arg in user.first_args.get(spec.name, ()))
    return " ".join(rules)


def _best_category(left: set[str], applied: set[str], additive: bool) -> str | None:
    """The category with more commands in common than not, and the fewest differences."""
    best: str | None = None
    min_diff, max_same = 2**63, 0
    for category in CATEGORIES:
        if category in applied:
            continue
        on = sum(1 for s in SPECS if category in s.acl_categories and s.name in left)
        off = sum(1 for s in SPECS if category in s.acl_categories and s.name not in left)
        diff, same = (off, on) if additive else (on, off)
        if same > diff and (diff < min_diff or (diff == min_diff and same > max_same)):
            best, min_diff, max_same = category, diff, same
    return best


def _text(raw: bytes) -> str:
    return raw.decode("utf-8", "surrogateescape")
