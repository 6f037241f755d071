"""The `context-ls` command line: the same engine for terminals and CI."""
