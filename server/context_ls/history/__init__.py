"""The history engine: an agent's conversation history in, findings and byte edits out.
Pure (bytes in, values out); it knows no editor protocol and writes no file. Callers use
`api.py` (and `analyzer.py`, the same for a document that keeps changing).

How the data goes, with the one word used for each thing:

1. **bytes → records.** A *source* (a file's exact bytes) is cut into *records*: its
   top-level JSON values, one a JSONL *line* or one an element of a JSON document's array
   (`source.py`; a document's elements are found at byte level by `elements.py`).
   Positions stay byte offsets into the source, so edits are byte-exact (`position.py`
   turns them into line/column).
2. **records → facts.** The *dialect* is recognised from the first records
   (`detect.py`), and its reader says what each record holds: its *facts* (`facts.py`):
   kind, role, the *calls* and *outputs* in it, ids, links. A call or an output inside a
   record's content is a *block* of it (a `tool_use`, a `tool_calls` entry).
3. **facts → history.** `reader.py` lays the facts out as a `History` (`model.py`): the
   records as columns (`items.py`: `Records`, one `Item` view per record; an `item`
   field is a record's row), the calls and outputs (together: *subjects*) pointing at
   their record, and each record's *turn* (the message it belongs to, `turns.py`).
4. **history → findings.** `validate.py` runs the rules' checks, each a named pass (those
   about what a message holds beyond pairing are in `message_rules.py`; blank text blocks
   are noted while records are read, `text_blocks.py`), and `analysis.py` adds secrets and
   severities: a *finding* is one broken rule at one place (`findings.py`); each *rule* is
   one object (`rule.py`) listed in `rules.py`, its fix in `fixers.py`. Records a dialect
   marks *abandoned* (a superseded version, a rewound message, a branch left by a rewind)
   are never judged (`abandoned.py`). `plain.py` is a finding as the CLI prints it.
5. **findings → edits.** A repair *plan* (`normalize.py`) collects what each rule's
   *fix* asks for (`Rule.fixer`); misplaced outputs are moved last (`moves.py`), new and
   moved records are written in the file's style (`new_records.py`, `style.py`), and
   `edits.py` turns the plan into minimal byte *edits* (`trim.py` plans a trim).

What a dialect is (reading, pairing, repairs, API error texts) lives in one module of
`dialects/`, listed once in `dialects/__init__.py`; the rest asks that registry.

Speed machinery, behind the same interface: the columns (`items.py`, `stamps.py`), big
files streamed (`stream.py`, `files.py`) or skimmed for `check` (`fastscan.py`), an edit
re-read in place (`incremental.py`, `analyzer.py`; a JSON document's touched records:
`doc_reread.py`) from a source not yet copied (`spliced.py`). Rules and repairs read records through `Item` views, never the columns.
"""
