"""The session report: one self-contained HTML page (summary, timeline of tool calls,
findings) for a history, written by `context-ls report`. `timeline.py` turns an analysis
into rows; `html.py` renders them."""
