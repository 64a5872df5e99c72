"""Every otmigrate command shown in README.md, docs/*.md and the --help examples runs as written.

Each runs with `sh -c` in a fresh copy of a small sandbox repository (the demo, under the folder names
the docs use). "Works" means no usage error (exit 2) and no traceback: exit 1 is fine where the command
reports findings or pending changes.
"""

import re
import shutil
import subprocess
import sys
from pathlib import Path

import click
import pytest
from checkout import REPO

DOCS = [REPO / "README.md", *sorted((REPO / "docs").glob("*.md"))]
RUNS_ELSEWHERE = {
    "bash scripts/test.sh": "the test suite itself (CI runs it)",
}
PLACEHOLDER = re.compile(r"\.\.\.|<[a-z]+>|\b(?:PATH|COMMAND|ID|FILE|REV|DIR|L)\b")


COMMAND = re.compile(
    r"(?:cat \S+ \| )?(?:python -m )?otmigrate(?: (?:scan|rewrite|lint|rules)\b.*|\.ruledocs .*)"
)


def documented_commands() -> list[tuple[str, str]]:
    """(where, command) for each command line in a code block or an inline code span of the docs."""
    found = []
    for doc in DOCS:
        name = doc.relative_to(REPO).as_posix()
        for number, line in enumerate(doc.read_text(encoding="utf-8").splitlines(), 1):
            candidates = [line.strip()] if line.startswith("    ") else []
            candidates += [span.replace("\\|", "|") for span in re.findall(r"`([^`]+)`", line)]
            for text in candidates:
                text = re.sub(r"\s+#.*$", "", text).strip()  # a trailing comment
                if COMMAND.fullmatch(text) and not PLACEHOLDER.search(text):
                    found.append((f"{name}:{number}", text))
    return found


def help_examples() -> list[tuple[str, str]]:
    """(where, command) for each example in the commands' --help texts."""
    from otmigrate.cli import main

    commands: list[tuple[str, click.Command]] = []
    for name, command in main.commands.items():
        commands.append((name, command))
        if isinstance(command, click.Group):
            commands += [(f"{name} {sub}", c) for sub, c in command.commands.items()]
    found = []
    for name, command in commands:
        for line in (command.help or "").splitlines():
            text = re.sub(r"\s+#.*$", "", line).strip()
            if line.startswith("      ") and COMMAND.search(text):
                found.append((f"otmigrate {name} --help", text))
    return found


COMMANDS = sorted(set(documented_commands() + help_examples()))


def test_the_docs_show_commands_at_all() -> None:
    wheres = {where.split(":")[0] for where, _ in COMMANDS}
    assert {"docs/quickstart.md", "docs/cli.md", "docs/writing-rules.md"} <= wheres  # README's: readme test
    assert sum(where.endswith("--help") for where, _ in COMMANDS) >= 10


@pytest.fixture(scope="module")
def sandbox(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo as the folders the docs name (services/, src/, app.py, my-rules/...), committed."""
    root = tmp_path_factory.mktemp("sandbox")
    demo = REPO / "fixtures" / "demo"
    shutil.copytree(demo, root / "fixtures" / "demo")
    shutil.copytree(demo / "backend", root / "services" / "backend")
    shutil.copytree(demo / "frontend", root / "services" / "billing")
    shutil.copytree(demo / "frontend", root / "src")
    shutil.copy2(demo / "frontend" / "app.py", root / "app.py")
    shutil.copy2(demo / "backend" / "main.go", root / "app.go")
    (root / "docs" / "rules").mkdir(parents=True)
    writing_rules = (REPO / "docs" / "writing-rules.md").read_text(encoding="utf-8")
    (root / "my-rules").mkdir()
    (root / "my-rules" / "acme.yml").write_text(writing_rules.split("```yaml\n")[1].split("```")[0])
    git = ["git", "-c", "user.name=t", "-c", "user.email=t@t"]
    subprocess.run([*git, "init", "-q"], cwd=root, check=True)
    subprocess.run([*git, "add", "-A"], cwd=root, check=True)
    subprocess.run([*git, "commit", "-qm", "sandbox"], cwd=root, check=True)
    baseline = ["lint", "--write-baseline", ".otmigrate-baseline.json", "."]
    subprocess.run([sys.executable, "-m", "otmigrate", *baseline], cwd=root, check=True, capture_output=True)
    return root


@pytest.mark.parametrize(("where", "command"), COMMANDS, ids=[f"{w} {c}" for w, c in COMMANDS])
def test_the_command_runs_as_written(sandbox: Path, tmp_path: Path, where: str, command: str) -> None:
    if command in RUNS_ELSEWHERE:
        pytest.skip(RUNS_ELSEWHERE[command])
    work = tmp_path / "project"
    shutil.copytree(sandbox, work, symlinks=True)
    bin_folder = str(Path(sys.executable).parent)
    done = subprocess.run(
        ["sh", "-c", command],
        cwd=work,
        capture_output=True,
        text=True,
        timeout=300,
        env={"PATH": f"{bin_folder}:/usr/bin:/bin", "HOME": str(tmp_path), "NO_COLOR": "1"},
    )
    assert "Traceback" not in done.stderr, (where, done.stderr)
    assert done.returncode in (0, 1), (where, command, done.returncode, done.stderr[-2000:])
    if " rules " in f" {command} ":
        assert done.returncode == 0, (where, done.stdout[-2000:])


def test_rules_list_and_show_know_the_lint_codes(tmp_path: Path) -> None:
    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "otmigrate", "rules", *args], cwd=tmp_path, capture_output=True, text=True
        )

    listed = run("list").stdout.splitlines()
    assert any(line.split()[:3] == ["OTM101", "all", "lint"] for line in listed)
    assert any(line.startswith("py-opentracing-set-operation-name ") for line in listed)
    shown = run("show", "OTM101")
    assert shown.returncode == 0 and shown.stdout.startswith("# OTM101 span-not-ended\n")
    assert shown.stdout == (REPO / "docs" / "rules" / "OTM101.md").read_text(encoding="utf-8")
    assert run("show", "OTM999").returncode == 2


def test_the_rule_index_links_every_lint_code_page() -> None:
    index = (REPO / "docs" / "rules" / "README.md").read_text(encoding="utf-8")
    pages = sorted(p.name for p in (REPO / "docs" / "rules").glob("*.md") if p.name != "README.md")
    for page in pages:
        assert f"]({page})" in index, page
