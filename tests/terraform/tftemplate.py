"""The subset of Terraform's templatefile() the region module's templates use.

Owns rendering `${name}` interpolations of plain variables and the `$${` /
`%%{` escapes. Anything else (`%{ }` directives, expressions, functions) is
refused rather than guessed, so a template that outgrows this subset fails the
tests instead of rendering differently from Terraform. When a Terraform binary
is on PATH the tests compare this renderer with templatefile() itself.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

_TOKEN = re.compile(r"\$\$\{|%%\{|\$\{([^}]*)\}|%\{")
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


class TemplateError(ValueError):
    """The template uses syntax outside the supported subset, or an unknown variable."""


def render(template: str, variables: Mapping[str, str | int]) -> str:
    def substitute(match: re.Match[str]) -> str:
        token = match.group(0)
        if token == "$${":
            return "${"
        if token == "%%{":
            return "%{"
        if token == "%{":
            raise TemplateError(f"template directive at offset {match.start()} is not supported")
        name = match.group(1).strip()
        if not _NAME.fullmatch(name):
            raise TemplateError(f"only plain variables are supported, got ${{{name}}}")
        if name not in variables:
            raise TemplateError(f"vars map does not contain key {name!r}")
        return str(variables[name])

    return _TOKEN.sub(substitute, template)
