"""Log records with secrets in them are redacted before any handler writes them."""

from __future__ import annotations

import logging

import pytest

from context_ls.context.logsafe import RedactingFilter


def test_logs_are_redacted(caplog: pytest.LogCaptureFixture) -> None:
    logger = logging.getLogger("context-ls-test")
    logger.addFilter(RedactingFilter())
    with caplog.at_level(logging.INFO, logger="context-ls-test"):
        logger.info("header was %s", "Authorization: Bearer abcdefghijklmnopqrstuvwxyz")
    assert "abcdefghijklmnop" not in caplog.text
    assert "[REDACTED:bearer-token]" in caplog.text
