"""Reading an exposition back into {(metric name, labels): value} for assertions."""

from __future__ import annotations

from prometheus_client.parser import text_string_to_metric_families

SampleKey = tuple[str, frozenset[tuple[str, str]]]


def samples(exposition: bytes | str) -> dict[SampleKey, float]:
    text = exposition.decode() if isinstance(exposition, bytes) else exposition
    found: dict[SampleKey, float] = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            key = (sample.name, frozenset(sample.labels.items()))
            assert key not in found, f"duplicate series {key}"
            found[key] = sample.value
    return found


def value(found: dict[SampleKey, float], name: str, **labels: str) -> float | None:
    return found.get((name, frozenset(labels.items())))


def series(found: dict[SampleKey, float], name: str) -> dict[frozenset[tuple[str, str]], float]:
    return {labels: v for (metric, labels), v in found.items() if metric == name}
