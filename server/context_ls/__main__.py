"""`python -m context_ls` runs the CLI (the VS Code client starts `python -m context_ls serve`).

Guarded: a process pool started with spawn or forkserver (macOS, Windows, Linux from Python
3.14) imports the main module of each worker, which must not run the CLI again."""

from context_ls.cli.main import run

if __name__ == "__main__":
    run()
