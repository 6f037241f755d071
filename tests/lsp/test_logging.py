"""The server's log (the client's output panel) never shows a secret."""

from __future__ import annotations

import io
import logging

from context_ls.lsp.main import configure_logging


def test_the_server_log_handler_redacts_secrets() -> None:
    configure_logging()
    stream = io.StringIO()
    handlers = [h for h in logging.getLogger().handlers if isinstance(h, logging.StreamHandler)]
    assert handlers
    before = [h.setStream(stream) for h in handlers]  # the server's handlers, into a buffer
    try:
        logging.getLogger("context_ls.test").warning(
            "request failed for key %s", "sk-proj-" + "a1B2c3D4e5F6g7H8i9J0k1L2m3"
        )
    finally:
        for handler, old in zip(handlers, before, strict=True):
            if old is not None:
                handler.setStream(old)
    assert "sk-proj-a1B2" not in stream.getvalue()
    assert "[REDACTED:openai-key]" in stream.getvalue()
