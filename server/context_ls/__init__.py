"""context-ls: find and repair broken AI-agent session histories."""

__version__ = "0.1.0"
