"""`context-ls serve`: start the language server on stdio (default) or TCP."""

from __future__ import annotations

import argparse
import logging
import sys

from context_ls.context.logsafe import RedactingFilter


def configure_logging() -> None:
    """Warnings and errors to stderr (the client's server log), secrets redacted: a key in a
    transcript or a setting never reaches a log."""
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr, format="context-ls: %(message)s")
    for handler in logging.getLogger().handlers:
        if not any(isinstance(f, RedactingFilter) for f in handler.filters):
            handler.addFilter(RedactingFilter())


def serve(tcp: bool = False, host: str = "127.0.0.1", port: int = 2087) -> int:
    """Run the server until the client disconnects; returns the process exit code.

    pygls and lsprotocol are imported here, not at module level, so the CLI's `check`
    path never pays their import cost."""
    configure_logging()
    from context_ls.lsp.memory import import_asyncio_without_openssl

    import_asyncio_without_openssl()
    from context_ls.lsp.setup import start_server

    start_server(tcp=tcp, host=host, port=port)
    return 0


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="context-ls serve", description=serve.__doc__)
    parser.add_argument("--stdio", action="store_true", help="use stdio (the default)")
    parser.add_argument("--tcp", action="store_true", help="listen on TCP instead of stdio")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=2087)
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    return serve(tcp=args.tcp, host=args.host, port=args.port)
