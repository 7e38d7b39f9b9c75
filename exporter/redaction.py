"""Keeping secrets out of error messages and log lines.

Two kinds of secret reach messages: the values of configuration keys that hold one (bot tokens,
webhook URLs, passwords) and credentials written into a URL (`https://user:pass@host/`, a
`?token=` or `?key=` query parameter, Telegram's `/bot<token>/` and Discord's webhook token).
"""

from __future__ import annotations

import re

REDACTED = "<redacted>"

# A configuration key whose value is a secret, by the last part of its name.
_SECRET_KEY = re.compile(r"(token|secret|password|passwd|api_?key|webhook|credential|auth)", re.IGNORECASE)
_URL_USERINFO = re.compile(r"(?P<scheme>[a-zA-Z][a-zA-Z0-9+.-]*://)(?P<userinfo>[^/@\s?#]*)@")
# Secrets that live in a URL's path: Telegram's /bot<id>:<secret>/ and Discord's /api/webhooks/<id>/<token>.
_SECRET_PATH = re.compile(r"(?P<keep>/bot)\d+:[A-Za-z0-9_-]+|(?P<hook>/api/webhooks/\d+/)[A-Za-z0-9_.-]+")
_SECRET_QUERY = re.compile(
    r"(?P<name>[?&](?:[^=&\s#]*(?:token|secret|password|key|sig|signature|auth)[^=&\s#]*))=(?P<value>[^&\s#]*)",
    re.IGNORECASE,
)


def is_secret_key(name: str) -> bool:
    """True for a configuration key whose value must never be shown (`bot_token`, `webhook_url`)."""
    return bool(_SECRET_KEY.search(name))


def redact_url(text: str) -> str:
    """`text` with the credentials of every URL in it replaced (user info, secret query parameters)."""
    text = _URL_USERINFO.sub(lambda m: f"{m['scheme']}{REDACTED}@", text)
    text = _SECRET_PATH.sub(lambda m: f"{m['keep'] or m['hook']}{REDACTED}", text)
    return _SECRET_QUERY.sub(lambda m: f"{m['name']}={REDACTED}", text)


# Shapes of secrets found outside the keys meant for them (swapped environment variables, say).
_BOT_TOKEN = re.compile(r"\b\d{5,}:[A-Za-z0-9_-]{30,}")
_OPAQUE_TOKEN = re.compile(r"[A-Za-z0-9_+=-]{32,}")


def _looks_opaque(candidate: str) -> bool:
    """Long and mixing digits with both cases throughout: generated, rather than a name or a word."""
    kinds = (str.isdigit, str.islower, str.isupper)
    return all(sum(1 for c in candidate if kind(c)) >= 4 for kind in kinds)


def redact_secret_shapes(text: str) -> str:
    """`text` with URL credentials, bot-token shapes and long generated-looking tokens replaced."""
    text = _BOT_TOKEN.sub(REDACTED, redact_url(text))
    return _OPAQUE_TOKEN.sub(lambda m: REDACTED if _looks_opaque(m[0]) else m[0], text)
