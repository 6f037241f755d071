"""Fine-tuning data sets row by row, for data pipelines (Dask, Ray, Spark, a plain loop).

`check_row(line, line_number)` judges one line of an OpenAI chat fine-tuning data set (one
whole conversation) and returns its findings as plain dicts, the very ones
`context-ls check --format json` prints for that line: it runs the same code. It is
pure (no files, no state, no imports beyond the engine's), so it can be mapped over rows
in any process. See docs/datasets.md for a recipe on a Dask cluster.

Each finding has the keys of `FIELDS`:

- `code` (`"H001"` …) and `rule` (`"missing-output"` …): the rule, as `context-ls explain`
  lists them;
- `severity`: `"error"`, `"warning"` or `"info"`;
- `message`: says where the way OpenAI's upload does ("line N, message M: …"), and quotes
  the API's answer where there is one;
- `call_id`: the tool call the finding is about, or None;
- `line`, `column`, `end_line`, `end_column`: 1-based; columns count code points;
- `fixable`: whether `context-ls normalize --write` repairs it.

Two things only the whole file knows, so a row cannot tell: a malformed last line of a
file without a final newline is "the last line" for `check` (here it is "line N"), and
`check` leaves out H010 (a credential in the line) in files of 16 MB and more unless
`--select H010` asks for it (pass `secrets=False` to do the same).
"""

from __future__ import annotations

from typing import Any

from context_ls.history.dialects.finetune_scan import analysis_of, scan_bytes
from context_ls.history.plain import FIELDS, finding_dict

__all__ = ["FIELDS", "check_row"]


def check_row(
    line: str | bytes, line_number: int = 1, *, secrets: bool = True
) -> list[dict[str, Any]]:
    """The findings of one data set line (its terminator may be left on), in the order
    `check` prints them. `line_number` (1-based) is the line's place in its file: messages
    and `line` name it. A `str` is taken as UTF-8; bytes that are not valid UTF-8 survive
    as `surrogateescape` gives them (how Python reads such text)."""
    if line_number < 1:
        raise ValueError(f"line_number is 1-based, not {line_number}")
    raw = line.encode("utf-8", "surrogateescape") if isinstance(line, str) else bytes(line)
    if raw.endswith(b"\n"):
        raw = raw[:-1]
    if b"\n" in raw:
        raise ValueError("check_row takes one line; split the data set at its newlines first")
    part = scan_bytes(raw, secrets, bom=line_number == 1)
    analysis = analysis_of(
        [part], len(raw), lambda start, end: raw[start:end], True, line_number - 1
    )
    return [finding_dict(analysis, finding) for finding in analysis.findings]
