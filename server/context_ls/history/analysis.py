"""One source read and judged (`Analysis`), and what settings and flags tell the engine
(`Options`): what `analyze` returns and every other entry point of the engine takes."""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

from context_ls.history.find import find
from context_ls.history.findings import Finding
from context_ls.history.model import DialectName, History
from context_ls.history.position import LineIndex
from context_ls.history.reader import read_history
from context_ls.history.spliced import Source, as_bytes
from context_ls.history.validate import LinkedUuids


@dataclass(slots=True)
class Options:
    """What the validator and the normalizer are told by settings and flags."""

    # False: only H007 (malformed records) is reported.
    enforce_invariants: bool = True
    # Trailing calls with no output are reported as pending ("waiting for output"), not H001.
    trailing_calls_pending: bool = False
    # Severity overrides per code ("error" | "warning" | "info" | "off").
    severity: Mapping[str, str] = field(default_factory=dict)
    # Synthetic output text per dialect name; missing dialects use the built-in default.
    synthetic_output_text: Mapping[str, str] = field(default_factory=dict)
    # Report H010 secret-in-history.
    detect_secrets: bool = True
    # The uuids of the session a Claude Code sub-agent file belongs to (read on first use);
    # None: that session is unknown, so links out of a sub-agent file are not judged.
    linked_uuids: LinkedUuids | None = None


class Analysis:
    """One source read and validated. `data` is the exact bytes (empty when streamed).

    `history` may be given as a function that builds it on first use: after a keystroke in
    a big history the findings are known (and published) before the records after the edit
    are moved to their new offsets, an O(records) step nobody may need before the next
    keystroke (see `Analyzer`)."""

    __slots__ = ("_build", "_history", "_lines", "_lock", "_source", "dialect", "fetch", "findings")

    def __init__(
        self,
        data: Source,
        history: History | Callable[[], History],
        findings: list[Finding],
        *,
        dialect: DialectName | None = None,
    ) -> None:
        self._source = data
        self.findings = findings
        self.fetch: Callable[[int, int], bytes] | None = None
        self._lines: LineIndex | None = None
        if isinstance(history, History):
            self._history: History | None = history
            self._build: Callable[[], History] | None = None
            self.dialect = history.dialect
        else:
            self._history, self._build = None, history
            self.dialect = dialect
        self._lock = threading.Lock()

    @property
    def history(self) -> History:
        if self._history is None:
            with self._lock:  # requests and the context worker may ask at the same time
                if self._history is None:
                    assert self._build is not None
                    self._history, self._build = self._build(), None
        return self._history

    @property
    def data(self) -> bytes:
        """The exact source bytes (a `Spliced` source is copied into bytes on first use)."""
        return as_bytes(self._source)

    @property
    def is_history(self) -> bool:
        return self.dialect is not None

    def read(self, start: int, end: int) -> bytes:
        """Source bytes [start, end), also for a streamed file."""
        if self.fetch is not None:
            return self.fetch(start, end)
        return self._source[start:end]

    @property
    def lines(self) -> LineIndex:
        if self._lines is None:
            self._lines = LineIndex(self.data)
        return self._lines


def _options(options: Options | None) -> Options:
    return options if options is not None else Options()


def analyze(
    data: bytes, dialect: DialectName | None = None, options: Options | None = None
) -> Analysis:
    """Read, validate and place findings precisely for a source held in memory."""
    return _analyze(data, dialect, _options(options))


def _analyze(data: bytes, dialect: DialectName | None, options: Options) -> Analysis:
    return _finish(data, read_history(data, dialect), options, None)


def _finish(
    data: bytes,
    history: History,
    options: Options,
    record_secrets: Sequence[Sequence[tuple[int, int, str]]] | None,
) -> Analysis:
    return Analysis(data, history, find(data, history, options, record_secrets))
