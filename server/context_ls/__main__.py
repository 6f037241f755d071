"""`python -m context_ls` runs the CLI (the VS Code client starts `python -m context_ls serve`)."""

from context_ls.cli.main import main

raise SystemExit(main())
