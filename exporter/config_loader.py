"""Reading config.yaml: YAML with line numbers, `${ENV}` expansion, and readable validation errors.

The models live in exporter.config; this module only knows how to turn a file into validated
models and how to explain what is wrong with it. A key written twice in one mapping and a
non-finite number (`.inf`, `.nan`) are errors too. Messages never show a secret: the values of
keys that hold one (tokens, webhooks, passwords), values filled from the environment (`${VAR}`: a
swapped variable puts a token where a chat id belongs) and values shaped like a secret (a bot token, a
webhook URL with its token, a long generated token) are left out, and URL credentials are redacted.
"""

from __future__ import annotations

import math
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from exporter.env_placeholders import PLACEHOLDER, fill_placeholders
from exporter.redaction import REDACTED, is_secret_key, redact_secret_shapes

ModelT = TypeVar("ModelT", bound=BaseModel)


class ConfigError(Exception):
    """A configuration file that cannot be used; the message names the file, key path and line."""


def _key_path(loc: tuple[int | str, ...]) -> str:
    path = ""
    for part in loc:
        if isinstance(part, int):
            path += f"[{part}]"
        else:
            path += f".{part}" if path else str(part)
    return path or "(top level)"


def _line_of(node: yaml.Node | None, loc: tuple[int | str, ...]) -> int | None:
    """Follow a pydantic error location through the YAML node tree; return the deepest line found."""
    if node is None:
        return None
    line: int = node.start_mark.line + 1
    for part in loc:
        child: yaml.Node | None = None
        if isinstance(node, yaml.MappingNode):
            for key_node, value_node in node.value:
                if key_node.value == part:
                    child = value_node
                    line = key_node.start_mark.line + 1
                    break
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int) and part < len(node.value):
            child = node.value[part]
            line = child.start_mark.line + 1
        if child is None:
            break
        node = child
    return line


# Values shorter than this are not scrubbed from messages by value (they would match ordinary words).
_MIN_SCRUBBED_LENGTH = 6


class _Expanded:
    """Where `${VAR}` placeholders were filled, and with what, so messages can leave those values out."""

    def __init__(self) -> None:
        self.locations: set[tuple[int | str, ...]] = set()
        self.values: set[str] = set()

    def covers(self, loc: tuple[int | str, ...]) -> bool:
        return any(loc[:length] in self.locations for length in range(len(loc) + 1))

    def scrub(self, text: str) -> str:
        for value in sorted(self.values, key=len, reverse=True):
            if len(value) >= _MIN_SCRUBBED_LENGTH:
                text = text.replace(value, REDACTED)
        return redact_secret_shapes(text)


def _expand_env(value: Any, loc: tuple[int | str, ...], environ: dict[str, str], expanded: _Expanded) -> Any:
    if isinstance(value, str):
        if PLACEHOLDER.search(value) is None:
            return value

        def required(name: str, found: str | None) -> str:
            if found is not None:
                return found
            raise ConfigError(
                f"{_key_path(loc)}: environment variable {name} is not set "
                f"(write ${{{name}:-default}} to give a default)"
            )

        filled = fill_placeholders(value, environ, required)
        expanded.locations.add(loc)
        expanded.values.add(filled)
        return filled
    if isinstance(value, dict):
        return {key: _expand_env(item, (*loc, key), environ, expanded) for key, item in value.items()}
    if isinstance(value, list):
        return [_expand_env(item, (*loc, index), environ, expanded) for index, item in enumerate(value)]
    return value


def _holds_secret(loc: tuple[int | str, ...]) -> bool:
    return any(isinstance(part, str) and is_secret_key(part) for part in loc)


def _shown_value(value: Any, loc: tuple[int | str, ...], expanded: _Expanded) -> str:
    """How an offending value appears in a message: never a secret's value, never URL credentials."""
    if _holds_secret(loc):
        return "the value is not shown: it is a secret"
    if expanded.covers(loc):
        return "the value is not shown: it comes from the environment"
    return f"got {redact_secret_shapes(repr(value))}"


def _describe(error: Any, expanded: _Expanded) -> str:
    kind = error["type"]
    loc = tuple(error["loc"])
    if kind == "extra_forbidden":
        return "unknown key (check the spelling; see config.yaml for the accepted keys)"
    if kind == "missing":
        return "required key is missing"
    message = expanded.scrub(str(error["msg"]).removeprefix("Value error, "))
    if kind == "finite_number":
        message = "must be a finite number, not infinity or NaN"
    if "input" in error and not isinstance(error["input"], dict | list):
        return f"{message} ({_shown_value(error['input'], loc, expanded)})"
    return message


def _mapping_problems(node: yaml.Node, loc: tuple[int | str, ...]) -> Iterator[tuple[int, str]]:
    """(line, problem) for every key written twice and every non-finite number, walking the YAML tree."""
    if isinstance(node, yaml.MappingNode):
        first_line: dict[object, int] = {}
        for key_node, value_node in node.value:
            key = key_node.value
            line = key_node.start_mark.line + 1
            if isinstance(key, str) and key in first_line:
                yield (
                    line,
                    f"{_key_path((*loc, key))}: duplicate key (first written at line {first_line[key]}); "
                    "remove one of them",
                )
            elif isinstance(key, str):
                first_line[key] = line
            yield from _mapping_problems(value_node, (*loc, key))
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            yield from _mapping_problems(item, (*loc, index))
    elif isinstance(node, yaml.ScalarNode) and node.tag == "tag:yaml.org,2002:float":
        value = yaml.safe_load(yaml.serialize(node))
        if isinstance(value, float) and not math.isfinite(value):
            yield (
                node.start_mark.line + 1,
                f"{_key_path(loc)}: must be a finite number, not infinity or NaN",
            )


def load_model(path: Path, model: type[ModelT], environ: dict[str, str] | None = None) -> ModelT:
    """Parse, expand and validate `path` as `model`, raising ConfigError with every problem listed."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read config file: {exc.strerror or exc}") from exc
    try:
        root_node = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{path}:{mark.line + 1}:{mark.column + 1}" if mark is not None else str(path)
        problem = getattr(exc, "problem", None) or str(exc)
        context, context_mark = getattr(exc, "context", None), getattr(exc, "context_mark", None)
        if context and context_mark is not None:
            problem += f" ({context} started at line {context_mark.line + 1})"
        raise ConfigError(f"{where}: not valid YAML: {problem}") from exc
    problems = list(_mapping_problems(root_node, ())) if root_node is not None else []
    if problems:
        raise ConfigError(
            "invalid configuration:\n  " + "\n  ".join(f"{path}:{line}: {text}" for line, text in problems)
        )
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: the top level must be a mapping of sections, got {type(data).__name__}")
    filled = _Expanded()
    try:
        expanded = _expand_env(data, (), dict(os.environ) if environ is None else environ, filled)
    except ConfigError as exc:
        raise ConfigError(f"{path}: {exc}") from exc
    try:
        return model.model_validate(expanded)
    except ValidationError as exc:
        lines = []
        for error in exc.errors():
            loc = tuple(error["loc"])
            line = _line_of(root_node, loc)
            where = f"{path}:{line}" if line is not None else str(path)
            lines.append(f"{where}: {_key_path(loc)}: {_describe(error, filled)}")
        raise ConfigError("invalid configuration:\n  " + "\n  ".join(lines)) from exc
