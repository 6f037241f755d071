"""The context-ls language server (pygls 2): thin adapters from LSP to the history engine
and the context system. Start it with `context_ls.lsp.main.serve()`."""
