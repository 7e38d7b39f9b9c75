"""The mixin's configuration file: selectors, runbook URL pattern, Kubernetes labels."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

DEFAULT_CONFIG = Path(__file__).resolve().parent / "config.yaml"

# One or more PromQL label matchers: name op "value", comma-separated.
_MATCHER = r'\s*[A-Za-z_][A-Za-z0-9_]*\s*(?:=|!=|=~|!~)\s*"(?:[^"\\]|\\.)*"\s*'
_SELECTOR = re.compile(rf"^{_MATCHER}(?:,{_MATCHER})*$")
_LABEL_NAME = re.compile(r"^([a-z0-9]([-a-z0-9.]*[a-z0-9])?/)?[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$")


class MixinConfigError(Exception):
    """The mixin config file is wrong; the message names the file and the key."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class KubernetesConfig(_Strict):
    rule_labels: dict[str, str] = Field(default_factory=dict)
    dashboard_labels: dict[str, str] = Field(default_factory=lambda: {"grafana_dashboard": "1"})
    dashboard_folder: str = "Hyperliquid"

    @field_validator("rule_labels", "dashboard_labels")
    @classmethod
    def _label_names(cls, labels: dict[str, str]) -> dict[str, str]:
        for name in labels:
            if not _LABEL_NAME.match(name):
                raise ValueError(f"{name!r} is not a valid Kubernetes label name")
        return labels


class MixinConfig(_Strict):
    exporter_selector: Annotated[str, Field(min_length=1)]
    relay_selector: Annotated[str, Field(min_length=1)]
    alertmanager_selector: Annotated[str, Field(min_length=1)] = 'job="alertmanager"'
    runbook_url_pattern: Annotated[str, Field(min_length=1)]
    kubernetes: KubernetesConfig = Field(default_factory=KubernetesConfig)

    @field_validator("exporter_selector", "relay_selector", "alertmanager_selector")
    @classmethod
    def _selector(cls, value: str) -> str:
        if not _SELECTOR.match(value):
            raise ValueError(f'{value!r} is not a list of PromQL label matchers like job="hyperliquid"')
        return value.strip()

    @field_validator("runbook_url_pattern")
    @classmethod
    def _pattern(cls, value: str) -> str:
        if not re.match(r"^https?://\S+$", value):
            raise ValueError(f"{value!r} must be an http(s) URL without spaces")
        try:
            value.format(anchor="a", alertname="A")
        except (KeyError, IndexError, ValueError) as exc:
            raise ValueError(f"{value!r}: only {{anchor}} and {{alertname}} may be used ({exc})") from None
        return value


def load_mixin_config(path: Path = DEFAULT_CONFIG) -> MixinConfig:
    try:
        document = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise MixinConfigError(f"{path}: cannot read: {exc.strerror or exc}") from exc
    except yaml.YAMLError as exc:
        raise MixinConfigError(f"{path}: not valid YAML: {exc}") from exc
    try:
        return MixinConfig.model_validate(document)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(part) for part in error['loc'])}: {error['msg']}" for error in exc.errors()
        )
        raise MixinConfigError(f"{path}: {problems}") from None
