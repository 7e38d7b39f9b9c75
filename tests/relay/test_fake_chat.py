"""The fakes' checks are the oracles of the rendering tests, so they must catch what the platforms refuse."""

from __future__ import annotations

import pytest

from tests.relay.fake_chat import check_discord_message, check_telegram_html


@pytest.mark.parametrize(
    "text",
    ["a & b", "1 < 2", "<b>open", "<b>x</i>", "<script>x</script>", "x" * 4097, "<b>" + "é" * 4097 + "</b>"],
)
def test_telegram_check_refuses_what_telegram_refuses(text: str) -> None:
    assert check_telegram_html(text) is not None


@pytest.mark.parametrize(
    "text", ["a &amp; b &lt;c&gt;", '<a href="https://x.y/?a=1&amp;b=2">l</a>', "<b>" + "x" * 4096 + "</b>"]
)
def test_telegram_check_accepts_valid_html(text: str) -> None:
    assert check_telegram_html(text) is None


@pytest.mark.parametrize(
    "message",
    [
        {"content": "x" * 2001},
        {"embeds": [{"title": "t"}] * 11},
        {"embeds": [{"title": "t" * 257}]},
        {"embeds": [{"description": "d" * 3000}, {"description": "d" * 3001}]},
        {"embeds": [{"fields": [{"name": "n", "value": ""}]}]},
        {"content": "", "embeds": []},
    ],
)
def test_discord_check_refuses_what_discord_refuses(message: dict[str, object]) -> None:
    assert check_discord_message(message) is not None
