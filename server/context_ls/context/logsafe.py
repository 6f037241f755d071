"""A logging filter that redacts secrets from every record it passes, so a key pasted into
a transcript or a setting never lands in a log file. Install it on the server's handler:
`handler.addFilter(RedactingFilter())`."""

from __future__ import annotations

import logging

from context_ls.secrets import redact

__all__ = ["RedactingFilter"]


class RedactingFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = redact(message)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        return True
