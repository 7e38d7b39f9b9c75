"""Render alertmanager.yml and its templates with secrets and URLs taken from the environment.

Alertmanager 0.25 expands no environment variables and has no *_file field for webhook URLs, the
Slack URL or most credentials, so the deployable configuration is written at start-up:

    hyperliquid-alertmanager-config --source-dir alertmanager --output-dir /run/alertmanager --amtool amtool
    prometheus-alertmanager --config.file=/run/alertmanager/alertmanager.yml ...

alertmanager.yml is filled value by value after YAML parsing, so a secret containing quotes or
newlines cannot change the document's structure. Template files are filled as text; a value that
would inject template syntax is refused.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path

import yaml

from exporter.deploy.placeholders import Filler

# The repository's alertmanager/ when run from a checkout; a deployment passes --source-dir.
DEFAULT_SOURCE_DIR = Path("alertmanager")
PROG = "hyperliquid-alertmanager-config"
CONFIG_NAME = "alertmanager.yml"
TEMPLATES_DIR_NAME = "templates"


class RenderError(Exception):
    """The configuration cannot be rendered or checked; the message lists every problem."""


def render_config_text(text: str, environ: Mapping[str, str], source_name: str = CONFIG_NAME) -> str:
    try:
        document = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise RenderError(f"{source_name}: not valid YAML: {exc}") from exc
    if not isinstance(document, dict):
        raise RenderError(f"{source_name}: the top level must be a mapping, got {type(document).__name__}")
    filler = Filler(environ)
    filled = filler.fill_tree(document)
    _raise_on_problems(filler, source_name)
    header = (
        f"# Rendered from {source_name} by hyperliquid-alertmanager-config: edit that file, not this one.\n"
    )
    return header + yaml.safe_dump(filled, sort_keys=False, allow_unicode=False, width=1_000_000)


def render_template_text(text: str, environ: Mapping[str, str], source_name: str) -> str:
    filler = Filler(environ, forbidden_fragments=("{{", "}}"))
    filled = "".join(
        filler.fill(line, f"line {number}") for number, line in enumerate(text.splitlines(keepends=True), 1)
    )
    _raise_on_problems(filler, source_name)
    return filled


def _raise_on_problems(filler: Filler, source_name: str) -> None:
    if filler.problems:
        raise RenderError(f"{source_name}:\n  " + "\n  ".join(filler.problems))


def render_directory(source_dir: Path, output_dir: Path, environ: Mapping[str, str]) -> Path:
    """Write the filled alertmanager.yml and templates/*.tmpl into output_dir; return the config path.

    Every file is rendered before anything is written, so a missing variable leaves output_dir as it
    was, and the error lists the problems of every file at once.
    """
    config_source = source_dir / CONFIG_NAME
    errors: list[str] = []
    rendered_config = ""
    try:
        rendered_config = render_config_text(_read(config_source), environ, str(config_source))
    except RenderError as exc:
        errors.append(str(exc))
    rendered_templates: dict[str, str] = {}
    for path in sorted((source_dir / TEMPLATES_DIR_NAME).glob("*.tmpl")):
        try:
            rendered_templates[path.name] = render_template_text(_read(path), environ, str(path))
        except RenderError as exc:
            errors.append(str(exc))
    if errors:
        raise RenderError("\n".join(errors))

    templates_dir = output_dir / TEMPLATES_DIR_NAME
    templates_dir.mkdir(parents=True, exist_ok=True)
    for name, text in rendered_templates.items():
        _write_atomically(templates_dir / name, text, mode=0o644)
    config_path = output_dir / CONFIG_NAME
    # The rendered file holds the relay token and the Slack URL.
    _write_atomically(config_path, rendered_config, mode=0o600)
    return config_path


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except OSError as exc:
        raise RenderError(f"{path}: cannot read: {exc.strerror or exc}") from exc


def _write_atomically(path: Path, text: str, mode: int) -> None:
    """Replace path in one step, so an Alertmanager reloading meanwhile never reads half a file."""
    descriptor, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
            handle.write(text)
        os.chmod(temporary, mode)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def check_config(amtool: str, config_path: Path) -> str:
    """Run `amtool check-config` on the rendered file; return its report or raise with its output."""
    try:
        result = subprocess.run(
            [amtool, "check-config", str(config_path)], capture_output=True, text=True, check=False
        )
    except OSError as exc:
        raise RenderError(f"cannot run {amtool}: {exc.strerror or exc}") from exc
    output = (result.stdout + result.stderr).strip()
    if result.returncode != 0:
        raise RenderError(f"amtool check-config rejected {config_path}:\n{output}")
    return output


def _parse_arguments(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog=PROG,
        description="Fill ${NAME} placeholders of alertmanager.yml and templates/ from the environment.",
    )
    parser.add_argument(
        "--source-dir",
        type=Path,
        default=DEFAULT_SOURCE_DIR,
        help="directory holding alertmanager.yml and templates/ (default: ./alertmanager)",
    )
    parser.add_argument(
        "--output-dir",
        type=Path,
        required=True,
        help="where to write the rendered alertmanager.yml and templates/",
    )
    parser.add_argument(
        "--amtool", metavar="PATH", help="run `PATH check-config` on the result and fail if it rejects it"
    )
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None, environ: Mapping[str, str] | None = None) -> int:
    arguments = _parse_arguments(argv)
    try:
        config_path = render_directory(
            arguments.source_dir, arguments.output_dir, os.environ if environ is None else environ
        )
        if arguments.amtool:
            print(check_config(arguments.amtool, config_path))
    except RenderError as exc:
        print(
            f"hyperliquid-alertmanager-config: cannot render the Alertmanager configuration:\n{exc}",
            file=sys.stderr,
        )
        return 1
    print(f"rendered {config_path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
