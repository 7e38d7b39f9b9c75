"""Filling the deployment files' `${NAME}` and `${NAME:-default}` placeholders from the environment.

The same syntax as config.yaml (exporter.env_placeholders). Every problem is collected, not just the
first, so one run of the renderer names every variable an operator still has to set.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from exporter.env_placeholders import PLACEHOLDER, fill_placeholders


@dataclass
class Filler:
    """Fills placeholders from `environ`, recording (not raising) what is missing or malformed."""

    environ: Mapping[str, str]
    # Fragments a value may not contain where it is pasted as text (template syntax in a template file).
    forbidden_fragments: tuple[str, ...] = ()
    problems: list[str] = field(default_factory=list)

    def fill(self, text: str, where: str) -> str:
        def checked(name: str, value: str | None) -> str:
            if value is None:
                self.problems.append(f"{where}: environment variable {name} is not set")
                return f"${{{name}}}"  # left as written: unset without a default
            if value == "":
                # Every placeholder is a URL, a credential or a channel: empty is always a mistake.
                self.problems.append(f"{where}: environment variable {name} is empty")
            for fragment in self.forbidden_fragments:
                if fragment in value:
                    self.problems.append(f"{where}: the value of {name} must not contain {fragment!r}")
            return value

        filled = fill_placeholders(text, self.environ, checked)
        leftover = _unfilled_marker(PLACEHOLDER.sub("", text))
        if leftover is not None:
            self.problems.append(
                f"{where}: malformed placeholder {leftover!r} (write ${{NAME}} or ${{NAME:-default}})"
            )
        return filled

    def fill_tree(self, value: object, where: str = "") -> object:
        """Fill every string inside a parsed YAML document; `where` is the key path for messages."""
        if isinstance(value, str):
            return self.fill(value, where or "(top level)")
        if isinstance(value, dict):
            return {
                key: self.fill_tree(item, f"{where}.{key}" if where else str(key))
                for key, item in value.items()
            }
        if isinstance(value, list):
            return [
                self.fill_tree(item, f"{where}[{_item_label(item, index)}]")
                for index, item in enumerate(value)
            ]
        return value


def _item_label(item: object, index: int) -> str:
    """`receivers[name=slack]` reads better than `receivers[2]` in an error message."""
    if isinstance(item, dict) and isinstance(item.get("name"), str):
        return f"name={item['name']}"
    return str(index)


def _unfilled_marker(text: str) -> str | None:
    start = text.find("${")
    if start < 0:
        return None
    end = text.find("}", start)
    return text[start : end + 1] if end >= 0 else text[start:]
