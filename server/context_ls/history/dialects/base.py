"""What the engine needs to know about a dialect, as one object (`Dialect`).

Every dialect module ends with one `DIALECT = Dialect(...)`; the registry
(`dialects/__init__.py`) lists them, and the rest of the engine asks the registry instead
of comparing dialect names. A field left at its default means "like most dialects": each
record is its own turn, outputs are whole records that go right after their call, and
nothing links records but call ids.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, NamedTuple

if TYPE_CHECKING:
    from context_ls.history.doc_chunks import Elements
    from context_ls.history.docscan import Pick
    from context_ls.history.facts import RecordFacts
    from context_ls.history.items import Item
    from context_ls.history.model import Call, History, Output, TextEdit
    from context_ls.history.normalize import Plan

    # A plan's moves: record index -> {block: the call it answers}.
    Moves = dict[int, dict[int, Call]]


# Named tuples, not dataclasses: a dataclass of this many fields took ~2.5 ms to make at
# import, paid by every `context-ls` process. Build them with keywords.


class ApiErrors(NamedTuple):
    """What the dialect's API answers when it is sent a broken history (findings quote it)."""

    missing_output: Callable[[Call], str]
    # The output whose call is nowhere (or comes later): its call id, and its record (in a
    # document, record N is `messages[N]`).
    orphan: Callable[[Output], str]
    duplicate_call: str
    # Dialects that judge adjacency: the answer to an output that is not right after its call.
    not_adjacent: Callable[[str], str] | None = None
    # Dialects whose API wants a turn of calls right after a user turn or a turn of results
    # (Gemini): the answer to one that is not (H006). None: not judged.
    misplaced_call_turn: str | None = None


class Chain(NamedTuple):
    """Records that name their parent by uuid (`parentUuid`): the conversation is the path
    from the newest record up, branches left by a rewind are not sent again, and a repair
    keeps every link right."""

    # Whether a thread (a `RecordFacts.thread` key) is a sub-agent's, whose first parents
    # live in the session that started it.
    linked_thread: Callable[[str | None], bool]
    # Where the session a sub-agent file belongs to is kept (None: not a sub-agent file).
    parent_session: Callable[[Path], Path | None]
    # The uuids of every record of a file.
    uuids_in: Callable[[Path], frozenset[str]]
    # The parent a moved result record names when it goes first at its place (its decoded
    # value, the uuid of its call's record), or None: the record before it.
    moved_parent: Callable[[Any, str], str | None]


class Dialect(NamedTuple):
    """One dialect: how to read it, what its API requires, how to repair it. The fields
    every dialect gives come first; the others default to "like most dialects"."""

    # --- who it is (the README table and `--dialect` come from these) ----------------------
    name: str
    what: str  # the program or API that writes or reads it
    shape: str  # what a file of it looks like
    # A decoded record -> 0 (does not fit), 1 (fits loosely), 2-3 (carries the dialect's
    # own marks). Detection picks the dialect most records fit.
    sniff: Callable[[Any], int]
    # A decoded record -> what it says (kind, role, calls, outputs, ids, links).
    facts: Callable[[Any], RecordFacts]
    api: ApiErrors  # what its API answers to a broken history
    default_text: str  # of a synthetic output (`syntheticOutputText` overrides it)
    # Insert a synthetic output for a call that has none.
    synthesize: Callable[[Plan, Call], None]

    # --- reading ---------------------------------------------------------------------------
    # The bytes of one record -> its facts, decoding only what pairing needs (hot loop).
    read_line: Callable[[bytes], RecordFacts] | None = None
    # `check`'s sparse scan of a big JSONL file (lines, history, fetch) -> the history
    # with only the records findings need; None: read every record.
    sparse_scan: Callable[[Any, History, Callable[[int, int], bytes]], History] | None = None
    # `check`'s lean read of a big JSON document (`docscan`): (its bytes, its records) ->
    # the records a finding can come from, with every record's turn; None: read it whole.
    document_scan: Callable[[bytes, Elements], Pick | None] | None = None
    # Whether a JSON document under `key`, detected as `detected`, whose sampled records
    # all fit, is this dialect's after all (a request body's key can decide).
    claims_document: Callable[[str | None, str | None, Sequence[Any]], bool] | None = None
    # A request body may continue a history the server keeps (`previous_response_id`).
    server_state: bool = False
    # Each record is a JSONL line, even when the source is a single line that would read as
    # a JSON document (a one-line fine-tuning data set read with `--dialect`).
    lines_only: bool = False
    # The part of a decoded record that is call or output number `block` (hovers).
    subject: Callable[[Any, int], Any] = lambda value, block: value

    # --- the conversation ------------------------------------------------------------------
    # Counts the history's turns (the message each record belongs to); None: each
    # conversation record is a turn of its own.
    turns: Callable[[History], None] | None = None
    # Where a record's content blocks are (tool_use / tool_result); None: a call or an
    # output is a whole record.
    content_path: tuple[str, ...] | None = None
    chain: Chain | None = None
    # The record the conversation the agent would send again starts at (0: the first).
    resume_start: Callable[[History], int] | None = None
    # Records that are versions of a message (an upsert log): history -> a lookup
    # (record, block) -> the record holding the live version of the message block `block`
    # stands in, when a later version replaced it; None: it has none (rewound). Hovers
    # name it. (Made once per history: finding the live versions reads every record.)
    live_version: Callable[[History], Callable[[int, int], int | None]] | None = None

    # --- what its API requires -------------------------------------------------------------
    # An output must be in the message right after its call's message (H006).
    adjacency: bool = False
    # The role a message holding results must have (None: any).
    results_role: str | None = None
    # The statuses an output may have (H008); None: not judged.
    statuses: tuple[str, ...] | None = None
    # A message that answers calls must begin with its result blocks (H011: Anthropic,
    # Claude Code, Bedrock).
    results_first: bool = False
    # Text blocks must hold non-whitespace text (H012: Anthropic, Claude Code, Bedrock).
    nonempty_text: bool = False

    # --- repairs ---------------------------------------------------------------------------
    # The record after which an output record of the call in `item` goes; None: `item`.
    output_anchor: Callable[[Item], int] | None = None
    # Put one block (an output's bytes) where the call's results go (`content_path`
    # dialects); `key` names it (a new record's uuid is made from it).
    deliver_block: Callable[[Plan, Call, bytes, str], None] | None = None
    # Repairs made inside records (a data set line is a whole conversation): the fix of a
    # finding noted on the plan, and the edits made of what was noted, once every finding
    # is in. Set, they take the place of the rules' own fixers.
    fix_in_record: Callable[[Plan, Any], None] | None = None
    record_edits: Callable[[Plan], list[Any]] | None = None
    # Settle which records move whole, when the dialect has a say (plan, whole, all moves).
    keep_whole: Callable[[Plan, Moves, Moves], None] | None = None
    # Titles of a move's quick fix: "record" (the whole record moves), "blocks" (blocks
    # leave a record that stays); {call_id} and {where} are filled in.
    move_titles: Mapping[str, str] = MappingProxyType({})
    # Trimming: the role the kept part must start with, and the leading roles it keeps.
    first_role: str | None = None
    leading_roles: frozenset[str] = frozenset()
    # Trimming a log the agent rewrites (history, data, keep) -> the edits that keep its
    # last `keep` messages, when removing the records before a cut would not (Gemini CLI's
    # upsert log: a checkpoint line is appended). Not used for a JSON document, which is
    # trimmed like the others. None: the records before the cut are removed.
    trim: Callable[[History, bytes, int], list[TextEdit]] | None = None

    # --- the agent that writes it ----------------------------------------------------------
    home_folder: str | None = None  # its folder in the user's home (`.codex`)
    session_globs: tuple[str, ...] = ()  # where it keeps its sessions

    def anchor(self, item: Item) -> int:
        """The record after which an output record of the call in `item` goes."""
        return item.index if self.output_anchor is None else self.output_anchor(item)

    @property
    def results_join_reply(self) -> bool:
        """A result a repair adds goes into the user message after its call (Anthropic,
        Bedrock, Gemini API), not onto a new record of its own: in a chained log (Claude
        Code) each message is its lines, and a result gets a line."""
        return self.content_path is not None and self.chain is None

    @property
    def blocks(self) -> bool:
        """Calls and outputs are content blocks inside messages."""
        return self.content_path is not None
