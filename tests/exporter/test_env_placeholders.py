"""The `${NAME}` / `${NAME:-default}` syntax shared by config.yaml and the deployment files."""

from __future__ import annotations

from exporter.env_placeholders import fill_placeholders, placeholder_names


def test_a_set_variable_wins_over_the_default_even_when_empty() -> None:
    seen: list[tuple[str, str | None]] = []

    def record(name: str, value: str | None) -> str:
        seen.append((name, value))
        return value if value is not None else "?"

    text = "${A}/${B:-b}/${C:-c}/${D}/${E:-}"
    assert fill_placeholders(text, {"A": "a", "B": ""}, record) == "a//c/?/"
    assert seen == [("A", "a"), ("B", ""), ("C", "c"), ("D", None), ("E", "")]


def test_names_and_text_that_is_no_placeholder() -> None:
    assert placeholder_names("${A} ${B:-x} $C ${1D} ${E") == {"A", "B"}
    assert fill_placeholders("$C ${E", {}, lambda name, value: "!") == "$C ${E"
