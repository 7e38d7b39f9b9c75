"""`${NAME}` and `${NAME:-default}` placeholders, filled from the environment.

One syntax for config.yaml (exporter.config_loader) and the deployment files filled before use
(exporter.deploy: alertmanager.yml and its templates). A variable that is set, even to "", wins
over the default; what to do with one unset and without a default is the caller's choice.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping

PLACEHOLDER = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}")


def fill_placeholders(
    text: str, environ: Mapping[str, str], replacement: Callable[[str, str | None], str]
) -> str:
    """Replace every placeholder of `text` with `replacement(name, value)`.

    `value` is the variable's value, else the placeholder's default, else None.
    """

    def substitute(match: re.Match[str]) -> str:
        name, default = match.group(1), match.group(2)
        return replacement(name, environ.get(name, default))

    return PLACEHOLDER.sub(substitute, text)


def placeholder_names(text: str) -> set[str]:
    return {match.group(1) for match in PLACEHOLDER.finditer(text)}
