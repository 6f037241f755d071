"""Secret detection: the kinds we promise, and none of the ids transcripts are full of."""

from __future__ import annotations

from unittest.mock import patch

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from context_ls import secrets
from context_ls.secrets import KINDS, find_secrets, redact, redact_bytes

OPENAI_LEGACY = "sk-" + "Ab3dEf6hIj9kLm2nOp5qRs8tUv1wXy4zAb7dEf0hIj3k"
OPENAI_PROJECT = "sk-proj-" + "abcDEF123_ghiJKL456-mnoPQR789stuVWX"
OPENAI_SERVICE = "sk-svcacct-" + "Z" * 30
ANTHROPIC = "sk-ant-api03-" + "x1Y2z3" * 15 + "-AA"
AWS = "AKIAIOSFODNN7EXAMPLE"
AWS_TEMP = "ASIAY34FZKBOKMUTVV7A"
GITHUB_CLASSIC = "ghp_" + "a1B2c3D4e5" * 3 + "F6g7H8"
GITHUB_FINE = "github_pat_11ABCDEFG0123456789_abcdefghijklmnopqrstuvwxyz"
SLACK = "xoxb-123456789012-1234567890123-AbCdEfGhIjKlMnOpQrStUvWx"
BEARER_TOKEN = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJl"
PEM = "-----BEGIN RSA PRIVATE KEY-----\\nMIIEowIBAAKCAQEA\\n-----END RSA PRIVATE KEY-----"


@pytest.mark.parametrize(
    ("secret", "kind"),
    [
        (OPENAI_LEGACY, "openai-key"),
        (OPENAI_PROJECT, "openai-key"),
        (OPENAI_SERVICE, "openai-key"),
        (ANTHROPIC, "anthropic-key"),
        (AWS, "aws-access-key"),
        (AWS_TEMP, "aws-access-key"),
        (GITHUB_CLASSIC, "github-token"),
        (GITHUB_FINE, "github-token"),
        (SLACK, "slack-token"),
        (PEM, "private-key"),
        ("-----BEGIN OPENSSH PRIVATE KEY-----", "private-key"),
    ],
)
def test_each_kind_is_found_with_exact_offsets(secret: str, kind: str) -> None:
    prefix = '{"type":"function_call_output","output":"export KEY='
    data = (prefix + secret + '\\n"}').encode()
    assert find_secrets(data) == [(len(prefix), len(prefix) + len(secret), kind)]
    assert kind in KINDS


def test_bearer_keeps_the_scheme_and_hides_the_token() -> None:
    line = f'curl -H "Authorization: Bearer {BEARER_TOKEN}" https://api'
    [match] = find_secrets(line.encode())
    assert line.encode()[match.start : match.end] == BEARER_TOKEN.encode()
    assert redact(line) == 'curl -H "Authorization: Bearer [REDACTED:bearer-token]" https://api'
    assert redact(f"authorization: bearer {BEARER_TOKEN}").endswith("[REDACTED:bearer-token]")


def test_secret_at_the_very_start_and_end() -> None:
    assert find_secrets(AWS.encode()) == [(0, 20, "aws-access-key")]
    assert find_secrets(OPENAI_PROJECT.encode()) == [(0, len(OPENAI_PROJECT), "openai-key")]


def test_offsets_are_bytes_not_characters() -> None:
    data = f"héllo ✓ {AWS}".encode()
    [match] = find_secrets(data)
    assert data[match.start : match.end] == AWS.encode()


@pytest.mark.parametrize(
    "innocent",
    [
        "call_3f9a2b7c1d8e4f6a0b5c9d2e",
        "toolu_01A09q90qw90lq917835lq9XyZ",
        "msg_01XFDUDYJgAACzvnptvVoYEL",
        "0199a7b2-3c4d-7e8f-9a0b-1c2d3e4f5a6b",
        "da39a3ee5e6b4b0d3255bfef95601890afd80709",
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
        "task-list-for-the-whole-project-and-more-words",
        "risk-" + "a" * 40,
        "desk-" + "B" * 40,
        "sk-learn",
        "sk-short123",
        "XAKIAIOSFODNN7EXAMPLE",
        "AKIAIOSFODNN7EXAMPLEX",
        "AKIA-not-a-key",
        "ghp_tooShort",
        "highp_" + "a" * 40,
        "Bearer token",
        "Bearer <YOUR_TOKEN>",
        "Bearer ${OPENAI_API_KEY}",
        "the bearer of bad news was here today",
        "-----BEGIN PUBLIC KEY-----",
        "-----BEGIN CERTIFICATE-----",
        "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==",
    ],
)
def test_ids_hashes_and_words_are_not_secrets(innocent: str) -> None:
    assert find_secrets(f'{{"id":"{innocent}"}}'.encode()) == []
    assert redact(innocent) == innocent


def test_redact_replaces_every_secret_and_keeps_the_rest() -> None:
    text = f"a {OPENAI_PROJECT} b {AWS} c {PEM} d {SLACK} e"
    assert redact(text) == (
        "a [REDACTED:openai-key] b [REDACTED:aws-access-key] c [REDACTED:private-key] "
        "d [REDACTED:slack-token] e"
    )
    assert redact_bytes(text.encode()) == redact(text).encode()


def test_many_secrets_in_a_large_buffer() -> None:
    line = b'{"type":"message","text":"Looking at the next file. nothing here"}\n'
    data = (line * 5000 + f"key={ANTHROPIC}\n".encode()) * 10
    found = find_secrets(data)
    assert len(found) == 10
    assert {m.kind for m in found} == {"anthropic-key"}


SAMPLES = [
    OPENAI_LEGACY,
    OPENAI_PROJECT,
    ANTHROPIC,
    AWS,
    GITHUB_FINE,
    SLACK,
    "Bearer " + BEARER_TOKEN,
    PEM,
    "-----BEGIN EC PRIVATE KEY-----" + "Q" * 300 + "-----END EC PRIVATE KEY-----",
    "sk-proj-" + "t" * 900,  # a token longer than a window
]


@settings(max_examples=60, deadline=None)
@given(
    parts=st.lists(
        st.sampled_from(SAMPLES) | st.text(st.sampled_from('ab -_=\n"\\k'), max_size=120),
        max_size=40,
    ),
    window=st.integers(40, 400),
)
def test_a_scan_by_windows_finds_what_one_scan_finds(parts: list[str], window: int) -> None:
    """Matches across window edges, tokens longer than a window, PEM bodies: the same
    offsets and kinds as one regex scan over the whole data."""
    data = ("x " * 9000 + "".join(parts)).encode()
    whole = [secrets.SecretMatch(*secrets._span(m)) for m in secrets._BYTES_RE.finditer(data)]
    with patch.object(secrets, "_WINDOW", window), patch.object(secrets, "_MARGIN", 17_000):
        assert find_secrets(data) == whole


def test_a_token_longer_than_the_view_is_matched_whole() -> None:
    data = ("x " * 9000 + "key sk-proj-" + "t" * 40_000 + " end").encode()
    with patch.object(secrets, "_WINDOW", 100), patch.object(secrets, "_MARGIN", 17_000):
        [match] = find_secrets(data)
    assert (match.start, match.end, match.kind) == (18_004, len(data) - 4, "openai-key")


def test_a_long_gap_after_bearer_is_not_a_window_edge_case() -> None:
    data = (
        b"x" * (secrets._WINDOW - 10) + b" Bearer" + b" " * 40_000 + b"abcdefghijklmnopqrstuvwxyz\n"
    )
    whole = [secrets.SecretMatch(*secrets._span(m)) for m in secrets._BYTES_RE.finditer(data)]
    assert find_secrets(data) == whole
    near = b"curl -H 'Authorization: Bearer  \t abcdefghijklmnopqrstuvwxyz'"
    assert [m.kind for m in find_secrets(near)] == ["bearer-token"]
