"""The HTML timeline report: valid, complete, self-contained, and pleasant to look at."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from context_ls.cli.main import main
from context_ls.history.api import analyze
from context_ls.report.html import render_report

from .pages import parse_page

ROOT = Path(__file__).resolve().parent.parent.parent
EXAMPLES = sorted(p for p in (ROOT / "examples").glob("*.json*") if p.name != "EXPECTED.json")
ARTIFACTS = ROOT / "tests" / "e2e" / "artifacts"
IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda p: p.name)
def test_report_is_valid_html_with_every_finding(example: Path) -> None:
    analysis = analyze(example.read_bytes())
    html = render_report(analysis, example.name)
    page = parse_page(html)
    text = " ".join(page.text)
    assert analysis.history.dialect in text
    for finding in analysis.findings:
        assert finding.code in text
        if finding.call_id:
            assert finding.call_id in text
    if analysis.findings:
        assert f"Findings ({len(analysis.findings)})" in text
    else:
        assert "No findings." in text


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda p: p.name)
def test_report_loads_nothing_from_the_network(example: Path) -> None:
    html = render_report(analyze(example.read_bytes()), example.name)
    page = parse_page(html)
    assert page.resources == []  # no <script src>, <img src>, <link href>: all inline
    assert not re.search(r"url\(\s*['\"]?https?:", html)
    assert "@import" not in html


def test_a_non_history_gets_a_page_that_says_so() -> None:
    html = render_report(analyze(b'{"name": "app", "version": "1.0.0"}'), "package.json")
    text = " ".join(parse_page(html).text)
    assert "not an agent session history" in text


def test_a_big_history_gets_a_sampled_timeline_that_says_so(tmp_path: Path) -> None:
    lines = [json.dumps({"type": "message", "role": "user", "content": "go"})]
    for i in range(2600):
        lines.append(
            json.dumps({"type": "tool_call", "call_id": f"c{i}", "tool_name": "sh", "args": {}})
        )
        if i % 500:
            lines.append(
                json.dumps(
                    {
                        "type": "tool_output",
                        "call_id": f"c{i}",
                        "status": "success",
                        "content": "ok",
                    }
                )
            )
    analysis = analyze(("\n".join(lines) + "\n").encode())
    html = render_report(analysis, "big.jsonl")
    text = " ".join(parse_page(html).text)
    assert "Sampled timeline." in text
    for finding in analysis.findings:  # every finding is still listed
        assert finding.call_id is not None and finding.call_id in text


def test_cli_report_writes_the_page(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    source = tmp_path / "session.jsonl"
    source.write_bytes((ROOT / "examples" / "codex-rollout-crashed.jsonl").read_bytes())
    target = tmp_path / "out.html"
    assert main(["report", str(source), "--output", str(target)]) == 0
    assert "H007" in target.read_text(encoding="utf-8")
    assert main(["report", str(tmp_path / "missing.jsonl")]) == 2
    assert "no such file" in capsys.readouterr().err


def _chromium() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser")


def test_screenshot_of_a_report(tmp_path: Path) -> None:
    browser = _chromium()
    if browser is None:
        if IN_CI:
            pytest.fail("CI=true and chromium is missing (.ci/run installs it)", pytrace=False)
        pytest.skip("chromium is not installed (apt-get install chromium)")
    example = ROOT / "examples" / "anthropic-messages.json"
    page = tmp_path / "report.html"
    page.write_text(render_report(analyze(example.read_bytes()), example.name), encoding="utf-8")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    shot = ARTIFACTS / "report.png"
    shot.unlink(missing_ok=True)
    subprocess.run(
        [
            browser,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            f"--user-data-dir={tmp_path / 'profile'}",
            f"--screenshot={shot}",
            "--window-size=1280,1600",
            page.as_uri(),
        ],
        check=False,
        capture_output=True,
        timeout=120,
        stdin=subprocess.DEVNULL,
    )
    data = shot.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    assert len(data) > 20_000  # a rendered page, not a blank one
