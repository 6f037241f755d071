"""Find values that look like credentials, so they never reach the audit table, the logs,
or go unnoticed in a transcript (finding H010). Transcripts leak keys: a pasted `.env`, a
`curl -H "Authorization: Bearer …"` in a shell call.

Speed matters: `check` may scan a 260 MB rollout. Python's `re` skips quickly over bytes
that cannot start any alternative (it builds a first-character set when every branch
starts with a plain literal), so each branch starts at its rarest literal — `k-` rather
than `sk-`, `BEGIN ` rather than `-----` — and looks behind for the rest. That keeps the
scan at several hundred MB/s; everything else (kind, true start) is decided per match.

Tuned against false positives: every token must start at a word boundary and be long
enough, so `call_…`, `toolu_…`, uuids, hex hashes and words like `task-list` never match.
"""

from __future__ import annotations

import re
from functools import cache
from typing import NamedTuple, Protocol

__all__ = ["KINDS", "SecretMatch", "find_secrets", "redact", "redact_bytes"]


class SecretMatch(NamedTuple):
    """A secret at byte offsets [start, end) of the scanned data."""

    start: int
    end: int
    kind: str


# Characters a token is made of: a secret must not be glued to one on its left.
_TOKEN_CHARS = r"A-Za-z0-9_\-"
_TOKEN = rf"[{_TOKEN_CHARS}]"
# After an AWS secret key's name: an optional closing quote (escaped in JSON), `=` or `:`,
# an optional opening quote, then exactly 40 characters of base64. ({} is the group name.)
_AWS_VALUE = (
    r"(?:\\?[\"'])?[ \t]{{0,16}}[:=][ \t]{{0,16}}(?:\\?[\"'])?"
    r"(?P<{}>[A-Za-z0-9/+]{{40}})(?![A-Za-z0-9/+=])"
)

# Each branch starts with a plain literal (see the module docstring), then one named group.
# Rules that start with the same character share one branch: every branch is tried at each
# position the first-character set lets through, so fewer branches scan faster.
# Where a rule comes from: "gitleaks" is gitleaks' default rule list (config/gitleaks.toml,
# MIT), "detect-secrets" Yelp's detect-secrets plugins (Apache-2.0); the regexes are our own,
# written from the token formats those rules document, and tuned to the literal-first shape.
_T = _TOKEN_CHARS
_K_RULES = [
    # OpenAI (sk-…, sk-proj-…, sk-svcacct-…, sk-admin-…) and Anthropic (sk-ant-…).
    # (gitleaks: openai-api-key, anthropic-api-key)
    rf"-(?<=sk-)(?<![{_T}]sk-)(?:(?P<anthropic_key>ant-{_TOKEN}{{20,}})"
    rf"|(?P<openai_key>(?:proj|svcacct|admin)-{_TOKEN}{{20,}}|[A-Za-z0-9]{{32,}}))",
    # Stripe secret and restricted keys, live or test. (gitleaks: stripe-access-token;
    # detect-secrets: StripeDetector)
    rf"_(?<=[sr]k_)(?<![{_T}][sr]k_)(?P<stripe>(?:live|test|prod)_[A-Za-z0-9]{{10,99}})"
    r"(?![A-Za-z0-9])",
    # AWS secret access keys in the credentials file: aws_secret_access_key = … (see below).
    rf"ey(?<=secret_access_key){_AWS_VALUE.format('aws_secret_lower')}",
    # Slack incoming webhooks. (gitleaks: slack-webhook-url)
    r"\.com/(?<=hooks\.slack\.com/)"
    r"(?P<slack_webhook>(?:services|workflows|triggers)/[A-Za-z0-9+/_\-]{20,})",
]
_A_RULES = [
    # AWS access key ids: AKIA long-term, ASIA temporary, ABIA and ACCA other AWS
    # services; exactly 20 characters. (gitleaks: aws-access-token; detect-secrets:
    # AWSKeyDetector)
    rf"(?<![{_T}]A)(?P<aws>(?:KIA|SIA|BIA|CCA)[0-9A-Z]{{16}})(?![A-Za-z0-9])",
    # AWS secret access keys: 40 characters of base64, told apart from any other such run
    # only by the name they are assigned to: AWS_SECRET_ACCESS_KEY=…, the credentials file's
    # aws_secret_access_key = … (above), STS JSON "SecretAccessKey": "…".
    # (detect-secrets: AWSKeyDetector's secret keyword; gitleaks: aws secret rules)
    rf"CCESS_KEY(?<=SECRET_ACCESS_KEY){_AWS_VALUE.format('aws_secret')}",
    rf"ccessKey(?<=SecretAccessKey){_AWS_VALUE.format('aws_secret_json')}",
    # Google API keys: AIza and 35 more characters. (gitleaks: gcp-api-key)
    rf"Iza(?<![{_T}]AIza)(?P<google_api_key>[0-9A-Za-z_\-]{{35}})(?![{_T}])",
]
_X_RULES = [
    # Slack bot, user, app, config, legacy and refresh tokens (xox?-) and app-level tokens
    # (xapp-). (gitleaks: slack-*-token; detect-secrets: SlackDetector)
    rf"ox(?<![{_T}]xox)(?P<slack>[abposre]-[A-Za-z0-9\-]{{10,}})",
    rf"app-(?<![{_T}]xapp-)(?P<slack_app>[0-9]-[A-Za-z0-9\-]{{10,}})",
]
_PATTERN = "|".join(
    [
        "k(?:" + "|".join(_K_RULES) + ")",
        "A(?:" + "|".join(_A_RULES) + ")",
        "x(?:" + "|".join(_X_RULES) + ")",
        # GitHub personal, OAuth, user, server and refresh tokens; fine-grained PATs.
        # (gitleaks: github-pat, github-oauth, github-app-token, github-refresh-token,
        # github-fine-grained-pat; detect-secrets: GitHubTokenDetector)
        rf"g(?<![{_T}]g)"
        r"(?P<github>h[pousr]_[A-Za-z0-9]{36,}|ithub_pat_[A-Za-z0-9_]{22,})",
        # JSON Web Tokens: base64url header "." payload (a JSON object: eyJ…) "." signature.
        # The match starts at the payload's J; the header is found by walking back from its
        # dot. (gitleaks: jwt; detect-secrets: JwtTokenDetector)
        r"J(?<=[A-Za-z0-9_\-]{17}\.eyJ)(?P<jwt>[A-Za-z0-9_\-]{14,}\.[A-Za-z0-9_\-]*)",
        # HTTP bearer credentials: only the token is the secret. (Every part before a
        # branch's open-ended token is bounded: see `_MARGIN`.)
        r"Bearer(?<![A-Za-z0-9]Bearer)[ \t]{1,256}(?P<bearer>[A-Za-z0-9._~+/\-]{16,}=*)",
        r"bearer(?<![A-Za-z0-9]bearer)[ \t]{1,256}(?P<bearer_lower>[A-Za-z0-9._~+/\-]{16,}=*)",
        # PEM and PGP private keys: the header, and the body up to the footer when it follows.
        # (gitleaks: private-key; detect-secrets: PrivateKeyDetector)
        r"BEGIN (?<=-----BEGIN )(?P<private_key>[A-Z0-9 ]{0,40}PRIVATE KEY(?: BLOCK)?-----"
        r"(?:[^-]{0,16384}-----END [A-Z0-9 ]{0,40}PRIVATE KEY(?: BLOCK)?-----)?)",
    ]
)

_GROUP_KIND = {
    "openai_key": "openai-key",
    "anthropic_key": "anthropic-key",
    "aws": "aws-access-key",
    "aws_secret": "aws-secret-key",
    "aws_secret_lower": "aws-secret-key",
    "aws_secret_json": "aws-secret-key",
    "google_api_key": "google-api-key",
    "github": "github-token",
    "slack": "slack-token",
    "slack_app": "slack-token",
    "slack_webhook": "slack-webhook",
    "stripe": "stripe-key",
    "jwt": "jwt",
    "bearer": "bearer-token",
    "bearer_lower": "bearer-token",
    "private_key": "private-key",
}
KINDS: tuple[str, ...] = tuple(dict.fromkeys(_GROUP_KIND.values()))
# How many bytes of the secret come before where the regex match starts (the lookbehinds).
_LEAD_BEFORE_MATCH = {
    "openai_key": 1,
    "anthropic_key": 1,
    "private_key": 5,
    "stripe": 1,
    "slack_webhook": 10,
}
# Where the secret starts at its named group rather than at the match.
_STARTS_AT_GROUP = {"bearer", "bearer_lower", "aws_secret", "aws_secret_lower", "aws_secret_json"}
_GROUP_START_OFFSET = {"aws": -1, "github": -1, "slack": -3}
# A JWT's header: the base64url run before the payload's dot (bounded). A run glued to the
# secret before it can overlap that one: redaction starts where the previous one ended.
_JWT_HEADER_MAX = 4096
_BASE64URL = frozenset(
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-"
) | frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-")


@cache
def _bytes_re() -> re.Pattern[bytes]:
    """The scanner, compiled on first use (~2 ms: most commands never scan)."""
    return re.compile(_PATTERN.encode("ascii"))


@cache
def _text_re() -> re.Pattern[str]:
    return re.compile(_PATTERN)


def __getattr__(name: str) -> object:
    """`_BYTES_RE` and `_TEXT_RE` for readers outside (the tests), compiled when asked."""
    if name == "_BYTES_RE":
        return _bytes_re()
    if name == "_TEXT_RE":
        return _text_re()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def _span(match: re.Match[bytes] | re.Match[str]) -> tuple[int, int, str]:
    group = match.lastgroup or ""
    if group in _STARTS_AT_GROUP:
        start = match.start(group)
    elif group in _GROUP_START_OFFSET:
        start = match.start(group) + _GROUP_START_OFFSET[group]
    elif group == "jwt":
        start = _header_start(match.string, match.start() - 3)
    else:
        start = match.start() - _LEAD_BEFORE_MATCH.get(group, 0)
    return start, match.end(), _GROUP_KIND[group]


def _header_start(subject: bytes | str, dot: int) -> int:
    """Where the base64url run that ends at `dot` (a JWT's header) starts."""
    start, limit = dot, max(0, dot - _JWT_HEADER_MAX)
    while start > limit and subject[start - 1] in _BASE64URL:
        start -= 1
    return start


# One regex call holds the GIL for as long as it scans: 25 MB took ~70 ms, during which a
# server's event loop could not answer. So the scan goes a window at a time: window k
# holds the matches that start in bytes [k * _WINDOW, (k + 1) * _WINDOW). Each is decided
# with `_MARGIN` more bytes in view (more than any branch reads before its open-ended
# token, the PEM body included); a token still running at the end of that view is matched
# again against all of `data`. The result is that of one scan over `data`, and a window
# scanned from its own start gives the same matches as the scan reaching it there, so
# windows can be scanned apart (see `secrets_early`).
_WINDOW = 1024 * 1024
_MARGIN = 32 * 1024
# Scans begun early in a forked child, by `id` of their data (see `secrets_early`).
STARTED: dict[int, Started] = {}


class Started(Protocol):
    """A scan of `data` begun elsewhere (`secrets_early.EarlyScan`)."""

    data: bytes

    def collect(self) -> list[SecretMatch]: ...


def find_secrets(data: bytes) -> list[SecretMatch]:
    """Every credential-looking value in `data`, as byte offsets, in order (collected from
    the child a `start_scan` of this very `data` began, when there is one)."""
    if len(data) <= _WINDOW + _MARGIN:
        return [SecretMatch(*_span(match)) for match in _bytes_re().finditer(data)]
    early = STARTED.pop(id(data), None)
    if early is not None and early.data is data:
        return early.collect()
    found: list[SecretMatch] = []
    scan_windows(data, 0, 0, found, {})
    return found


def window_count(size: int) -> int:
    """How many windows a source of `size` bytes is scanned in."""
    return -(-size // _WINDOW)


def scan_window(data: bytes, k: int, pos: int) -> tuple[list[SecretMatch], int]:
    """The matches that start in window `k`, the scan reaching it at `pos`, and where the
    scan goes on from (past the window, or past a match that runs beyond it)."""
    regex = _bytes_re()
    size = len(data)
    end = min((k + 1) * _WINDOW, size)
    view_end = min(end + _MARGIN, size)
    found: list[SecretMatch] = []
    for match in regex.finditer(data, pos, view_end):
        if match.start() >= end:
            break  # the next window finds it, with its own margin in view
        if match.end() == view_end < size:
            match = regex.match(data, match.start()) or match
        found.append(SecretMatch(*_span(match)))
        pos = match.end()
    return found, max(pos, end)


def scan_windows(
    data: bytes,
    first: int,
    pos: int,
    found: list[SecretMatch],
    done: dict[int, tuple[list[SecretMatch], int]],
) -> None:
    """Windows `first` on appended to `found`, the scan reaching window `first` at `pos`.
    `done` holds windows already scanned from their own start: taken as they are unless a
    match before runs into them (then the window is scanned again from where it ends)."""
    for k in range(first, window_count(len(data))):
        start = k * _WINDOW
        if pos <= start and k in done:
            part, pos = done[k]
        else:
            part, pos = scan_window(data, k, max(pos, start))
        found.extend(part)


def redact(text: str) -> str:
    """`text` with each secret replaced by `[REDACTED:<kind>]`."""
    text_re = _text_re()
    if not text_re.search(text):
        return text
    out: list[str] = []
    cursor = 0
    for match in text_re.finditer(text):
        start, end, kind = _span(match)
        start = max(start, cursor)
        out.append(text[cursor:start])
        out.append(f"[REDACTED:{kind}]")
        cursor = end
    out.append(text[cursor:])
    return "".join(out)


def redact_bytes(data: bytes) -> bytes:
    """`data` with each secret replaced by `[REDACTED:<kind>]` (for raw log lines)."""
    out: list[bytes] = []
    cursor = 0
    for start, end, kind in find_secrets(data):
        start = max(start, cursor)
        out.append(data[cursor:start])
        out.append(f"[REDACTED:{kind}]".encode("ascii"))
        cursor = end
    out.append(data[cursor:])
    return b"".join(out)
