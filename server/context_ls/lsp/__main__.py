"""`python -m context_ls.lsp [--stdio | --tcp --host H --port P]` starts the server."""

from context_ls.lsp.main import main

raise SystemExit(main())
