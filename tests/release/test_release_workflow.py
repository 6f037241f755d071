"""The release workflow cannot run here, so it is checked offline: against GitHub's workflow
schema (check-jsonschema, schema bundled), by zizmor's security audits, and for what a release
must do: test, build every artifact with the make targets CI runs, publish with trusted
publishing and tokens kept in secrets, attach the .vsix files to the release."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from ruamel.yaml import YAML

from e2e._support import IN_CI, ROOT

WORKFLOW = ROOT / ".github" / "workflows" / "release.yml"
BIN = Path(sys.executable).parent


def _tool(name: str) -> str:
    path = BIN / name
    if path.exists():
        return str(path)
    message = f"{name} is not installed: pip install -e '.[test]'"
    if IN_CI:
        pytest.fail(message, pytrace=False)
    pytest.skip(message)


@pytest.fixture(scope="module")
def workflow() -> dict[str, Any]:
    data: dict[str, Any] = YAML(typ="safe").load(WORKFLOW.read_text(encoding="utf-8"))
    return data


def _runs(job: dict[str, Any]) -> str:
    return "\n".join(step.get("run", "") for step in job["steps"])


def test_matches_the_github_workflow_schema() -> None:
    cmd = [_tool("check-jsonschema"), "--builtin-schema", "vendor.github-workflows", str(WORKFLOW)]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_zizmor_finds_nothing() -> None:
    """Pinned actions, no persisted credentials, no caches in a release, no template
    injection, least permissions per job (the auditor persona: zizmor's strictest)."""
    cmd = [_tool("zizmor"), "--offline", "--persona", "auditor", "--no-progress", str(WORKFLOW)]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "No findings" in proc.stdout + proc.stderr


def test_runs_on_a_version_tag_with_no_default_permissions(workflow: dict[str, Any]) -> None:
    assert workflow["on"] == {"push": {"tags": ["v*"]}}
    assert workflow["permissions"] == {}
    for name, job in workflow["jobs"].items():
        assert "permissions" in job, f"job {name} does not say which permissions it needs"


def test_steps_are_the_make_targets_ci_runs(workflow: dict[str, Any]) -> None:
    jobs = workflow["jobs"]
    assert "make test" in _runs(jobs["test"]).splitlines()
    build = _runs(jobs["build"])
    assert "make client-package-all" in build.splitlines()
    assert "python -m build --outdir dist/" in build
    targets = set(re.findall(r"^([\w-]+):", (ROOT / "Makefile").read_text(), re.M))
    for job in jobs.values():
        for target in re.findall(r"^\s*make ([\w-]+)", _runs(job), re.M):
            assert target in targets, f"the workflow runs `make {target}`, which the Makefile lacks"
    assert jobs["build"]["needs"] == "test"
    for name in ("pypi", "vscode", "github-release"):
        assert jobs[name]["needs"] == "build"


def test_pypi_uses_trusted_publishing(workflow: dict[str, Any]) -> None:
    job = workflow["jobs"]["pypi"]
    assert job["permissions"] == {"id-token": "write"}
    assert job["environment"]["name"] == "pypi"
    assert "--trusted-publishing always" in _runs(job)
    assert "secrets." not in str(job), "PyPI needs no stored token"


def test_marketplace_and_open_vsx_tokens_come_from_secrets(workflow: dict[str, Any]) -> None:
    job = workflow["jobs"]["vscode"]
    steps = {s.get("name", ""): s for s in job["steps"]}
    marketplace = next(s for n, s in steps.items() if "Marketplace" in n)
    open_vsx = next(s for n, s in steps.items() if "Open VSX" in n)
    assert marketplace["env"] == {"VSCE_PAT": "${{ secrets.VSCE_PAT }}"}
    assert "vsce publish --packagePath vsix/*.vsix" in marketplace["run"]
    assert open_vsx["env"] == {"OVSX_PAT": "${{ secrets.OVSX_PAT }}"}
    assert 'ovsx publish "$vsix"' in open_vsx["run"]
    # The publisher's lockfile is in the repository, so `npm ci` installs what was reviewed.
    assert (ROOT / "client-vscode" / "publish" / "package-lock.json").is_file()


def test_release_gets_every_vsix(workflow: dict[str, Any]) -> None:
    job = workflow["jobs"]["github-release"]
    assert job["permissions"] == {"contents": "write"}
    run = _runs(job)
    assert "gh release create" in run
    assert "artifacts/vsix/*.vsix" in run and "artifacts/python-dist/*" in run
    uploads = [
        s for s in workflow["jobs"]["build"]["steps"] if "upload-artifact" in s.get("uses", "")
    ]
    assert any("client-vscode/vsix/*.vsix" in s["with"]["path"] for s in uploads)
