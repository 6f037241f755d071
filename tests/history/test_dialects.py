"""The dialect registry: every dialect is one complete `Dialect`, and what the rest of the
program asks of dialects (names, settings keys, session folders) comes from it."""

from __future__ import annotations

import pytest

from context_ls.cli.main import build_parser
from context_ls.history.dialects import (
    DIALECTS,
    NAMES,
    Dialect,
    agent_of,
    dialect_of,
    session_globs,
    synthetic_texts,
)
from context_ls.history.rules import RULES

from ._gen import ALL_DIALECTS, DATASET_DIALECTS, OWN_RENDERER_DIALECTS


def test_the_registry_lists_every_dialect_once_by_its_name() -> None:
    assert sorted(NAMES) == sorted((*ALL_DIALECTS, *DATASET_DIALECTS, *OWN_RENDERER_DIALECTS))
    assert all(DIALECTS[name].name == name for name in NAMES)
    parser = build_parser()
    check = parser._subparsers._group_actions[0].choices["check"]  # type: ignore[union-attr]
    dialect = next(a for a in check._actions if a.dest == "dialect")
    assert tuple(dialect.choices) == tuple(NAMES)  # what `--dialect` offers


@pytest.mark.parametrize("name", NAMES)
def test_a_dialect_says_what_its_rules_need(name: str) -> None:
    dialect = dialect_of(name)
    assert isinstance(dialect, Dialect)
    assert dialect.default_text and dialect.what and dialect.shape
    if dialect.adjacency:  # H006 quotes the API's answer
        assert dialect.api.not_adjacent is not None
    if dialect.blocks:  # outputs are blocks: a moved or new one must be put somewhere
        assert dialect.deliver_block is not None
    for how in dialect.move_titles:
        assert how in ("record", "blocks")
    for template in dialect.move_titles.values():
        assert template.format(call_id="c1", where="next to its call")


def test_settings_keys_and_session_folders_come_from_the_registry() -> None:
    assert list(synthetic_texts()) == list(NAMES)
    assert synthetic_texts()["codex"] == "aborted"
    assert session_globs() == ["~/.codex/sessions/**/*.jsonl", "~/.claude/projects/**/*.jsonl"]
    assert agent_of("/home/u/.codex/sessions/2026/01/01/rollout-a.jsonl") == "codex"
    assert agent_of("/home/u/.claude/projects/p/s.jsonl") == "claude-code"
    assert agent_of("/home/u/work/history.jsonl") is None


@pytest.mark.parametrize("code", sorted(RULES))
def test_a_rule_is_one_object_with_its_message_and_fix(code: str) -> None:
    rule = RULES[code]
    assert "" in rule.messages
    if rule.fixer is not None:
        assert rule.fix_title is not None
    if rule.moves_to is not None:
        assert rule.fixer is not None
