"""Secret detection: the kinds we promise, and none of the ids transcripts are full of."""

from __future__ import annotations

import base64
import json
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
AWS_SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"  # AWS's documented example
GOOGLE = "AIza" + "SyD-9tSrke72PouQMnMX-a7eZSW0jkFMBWY"
STRIPE_LIVE = "sk_live_" + "4eC39HqLyjWDarjtT1zdp7dc"
STRIPE_RESTRICTED = "rk_test_" + "51H8s2BKzEXAMPLEkey0123"
SLACK_APP = "xapp-1-A0123456789-1234567890123-" + "a1b2c3d4e5" * 3
SLACK_REFRESH = "xoxe-1-" + "My0xLTEyMzQ1Njc4OTAxMi0xMjM0NTY3ODkw"
SLACK_WEBHOOK = "hooks.slack.com/services/T00000000/B00000000/" + "XXXXXXXXXXXXXXXXXXXXXXXX"
JWT = (
    "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4ifQ"
    ".SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c"
)
PGP = "-----BEGIN PGP PRIVATE KEY BLOCK-----\\nlQOYBF\\n-----END PGP PRIVATE KEY BLOCK-----"


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
        (PGP, "private-key"),
        ("ABIA" + "Y34FZKBOKMUTVV7A", "aws-access-key"),
        ("ACCA" + "Y34FZKBOKMUTVV7A", "aws-access-key"),
        (GOOGLE, "google-api-key"),
        (STRIPE_LIVE, "stripe-key"),
        (STRIPE_RESTRICTED, "stripe-key"),
        (SLACK_APP, "slack-token"),
        (SLACK_REFRESH, "slack-token"),
        (SLACK_WEBHOOK, "slack-webhook"),
        (JWT, "jwt"),
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
        "AIzaTooShort",
        "XAIza" + "SyD-9tSrke72PouQMnMX-a7eZSW0jkFMBWY",
        "pk_live_" + "4eC39HqLyjWDarjtT1zdp7dc",  # publishable: public by design
        "ask_live_" + "4eC39HqLyjWDarjtT1zdp7dc",
        "sk_live_short",
        "hooks.slack.com/services/",
        "version.eyJhbGciOiJI",
        "AWS_SECRET_ACCESS_KEY=${AWS_SECRET_ACCESS_KEY}",
        "aws_secret_access_key = <your secret key>",
        "SECRET_ACCESS_KEY=" + "a" * 41,
        "xoxq-123456789012-abcdef",
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
    JWT,
    "x." + JWT,  # a header the walk back must find across a window edge
    "AWS_SECRET_ACCESS_KEY=" + AWS_SECRET,
    "https://" + SLACK_WEBHOOK,
    STRIPE_LIVE,
    GOOGLE,
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


# --- AWS secret access keys: found by the name they are assigned to --------------------------


@pytest.mark.parametrize(
    "assignment",
    [
        "AWS_SECRET_ACCESS_KEY={}",
        "export AWS_SECRET_ACCESS_KEY='{}'",
        "aws_secret_access_key = {}",
        '\\"SecretAccessKey\\": \\"{}\\"',
        '"SecretAccessKey": "{}"',
        "AWS_SECRET_ACCESS_KEY: {}",
    ],
)
def test_an_aws_secret_key_is_found_by_its_name(assignment: str) -> None:
    data = ('{"output":"' + assignment.format(AWS_SECRET) + '\\n"}').encode()
    [match] = find_secrets(data)
    assert (data[match.start : match.end], match.kind) == (AWS_SECRET.encode(), "aws-secret-key")


def test_a_codex_output_with_three_keys_flags_all_three() -> None:
    """The issue's example: the AWS secret beside an OpenAI key and a GitHub token."""
    from context_ls.history.api import analyze

    env = f"OPENAI_API_KEY={OPENAI_PROJECT}\\nGH_TOKEN={GITHUB_CLASSIC}\\nAWS_SECRET_ACCESS_KEY={AWS_SECRET}\\n"
    lines = [
        {"type": "function_call", "name": "shell", "arguments": "{}", "call_id": "call_env"},
        {"type": "function_call_output", "call_id": "call_env", "output": env},
    ]
    data = b"".join(
        json.dumps(
            {"timestamp": f"2026-01-01T00:00:0{i}Z", "type": "response_item", "payload": p}
        ).encode()
        + b"\n"
        for i, p in enumerate(lines)
    )
    found = [f for f in analyze(data).findings if f.code == "H010"]
    assert [f.message for f in found] and len(found) == 3
    assert "aws-secret-key" in " ".join(f.message for f in found)


def test_a_jwt_glued_to_a_secret_before_it_redacts_once() -> None:
    text = f"{OPENAI_PROJECT}.eyJzdWIiOiIxMjM0NTY3ODkwIn0.sig z"
    assert redact(text).endswith(" z")
    assert redact(text).count("[REDACTED:") == 2
    assert OPENAI_PROJECT not in redact(text)


# --- encrypted reasoning blobs are not secrets ------------------------------------------------


def _blob(raw: bytes, urlsafe: bool) -> str:
    return (base64.urlsafe_b64encode if urlsafe else base64.b64encode)(raw).decode()


@settings(max_examples=80, deadline=None)
@given(raw=st.binary(min_size=64, max_size=3000))
def test_encrypted_reasoning_blobs_stay_silent(raw: bytes) -> None:
    """Codex `encrypted_content` (a Fernet token, base64url), Anthropic thinking `signature`
    and Gemini `thoughtSignature` (base64): random bytes, encoded as they are, never match."""
    records = [
        {"type": "reasoning", "encrypted_content": "gAAAAAB" + _blob(raw, urlsafe=True)},
        {"type": "thinking", "thinking": "", "signature": "EqQBCkgIBRAB" + _blob(raw, False)},
        {"thoughtSignature": "CiQB" + _blob(raw, urlsafe=False), "functionCall": {"name": "ls"}},
    ]
    data = "\n".join(json.dumps(r) for r in records).encode()
    assert find_secrets(data) == []
