"""JavaScript and TypeScript: `node --check` on every changed script, every `require` / `import` of a
changed file resolving to a file or a declared dependency, and `tsc --noEmit -p` where a changed
TypeScript file has a tsconfig.json above it and the project has typescript installed."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from functools import cache
from pathlib import Path, PurePosixPath

from otmigrate.manifests import JS_SPECIFIER
from otmigrate.verify import Found, Workspace

TIMEOUT = 600
SCRIPTS = (".js", ".cjs", ".mjs", ".jsx")
TYPESCRIPT = (".ts", ".mts", ".cts", ".tsx")
_RESOLVED_SUFFIXES = (
    "",
    ".js",
    ".cjs",
    ".mjs",
    ".json",
    ".jsx",
    ".node",
    ".ts",
    ".tsx",
    ".mts",
    ".cts",
    ".d.ts",
)
_DEPENDENCY_SECTIONS = ("dependencies", "devDependencies", "peerDependencies", "optionalDependencies")
_TSC_LINE = re.compile(r"^(.+?)\((\d+),\d+\): error (TS\d+: .+)$")


def check(workspace: Workspace) -> list[Found]:
    scripts = workspace.changed_with(*SCRIPTS)
    typescript = workspace.changed_with(*TYPESCRIPT)
    if not scripts and not typescript:
        return []
    node = shutil.which("node")
    if node is None:
        workspace.notice("node not found on PATH: the migrated JavaScript/TypeScript was not verified")
        return []
    found: list[Found] = []
    for path in scripts:
        workspace.ran("node --check")
        found += _node_check(node, workspace.root, path)
    workspace.ran("module resolution")
    for path in scripts + typescript:
        found += _unresolved(node, workspace.root, path, workspace.changed[path])
    found += _tsc(node, workspace, typescript)
    return found


def _node_check(node: str, root: Path, path: str) -> list[Found]:
    try:
        done = subprocess.run(
            [node, "--check", path], cwd=root, capture_output=True, text=True, timeout=TIMEOUT
        )
    except subprocess.TimeoutExpired:
        return [Found(path, 1, f"node --check timed out after {TIMEOUT}s", "node --check")]
    if done.returncode == 0:
        return []
    lines = done.stderr.strip().splitlines()
    line = next((int(m.group(1)) for m in (re.search(r":(\d+)$", x) for x in lines[:3]) if m), 1)
    message = next(
        (x for x in lines if re.match(r"^\w*Error\b", x)), lines[-1] if lines else "does not parse"
    )
    return [Found(path, line, message, "node --check")]


def _unresolved(node: str, root: Path, path: str, text: str) -> list[Found]:
    found = []
    for match in JS_SPECIFIER.finditer(text):
        specifier = match.group(2)
        if _resolves(node, root, path, specifier):
            continue
        line = text.count("\n", 0, match.start()) + 1
        found.append(
            Found(
                path,
                line,
                f"cannot resolve '{specifier}': no such file, and no package.json above declares it",
                "module resolution",
            )
        )
    return found


def _resolves(node: str, root: Path, path: str, specifier: str) -> bool:
    folder = root / PurePosixPath(path).parent
    if specifier.startswith((".", "/")):
        target = (folder / specifier) if not specifier.startswith("/") else Path(specifier)
        stem = target.with_suffix("") if target.suffix in (".js", ".mjs", ".cjs") else None
        candidates = [Path(f"{target}{s}") for s in _RESOLVED_SUFFIXES]
        candidates += [target / f"index{s}" for s in _RESOLVED_SUFFIXES[1:]] + [target / "package.json"]
        if stem is not None:  # TypeScript: './a.js' names the a.ts it is compiled from
            candidates += [Path(f"{stem}{s}") for s in TYPESCRIPT]
        return any(c.is_file() for c in candidates)
    if specifier.startswith("node:") or specifier.split("/")[0] in _builtins(node):
        return True
    package = "/".join(specifier.split("/")[:2]) if specifier.startswith("@") else specifier.split("/")[0]
    for candidate in (folder, *folder.parents):
        if package in _declared(candidate / "package.json"):
            return True
        if candidate == root:
            break
    return False


@cache
def _builtins(node: str) -> frozenset[str]:
    done = subprocess.run(
        [node, "-p", "require('module').builtinModules.join(' ')"], capture_output=True, text=True, timeout=60
    )
    return frozenset(done.stdout.split())


def _declared(manifest: Path) -> set[str]:
    """The package's own name and every dependency its package.json declares."""
    try:
        data = json.loads(manifest.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return set()
    if not isinstance(data, dict):
        return set()
    names = {data["name"]} if isinstance(data.get("name"), str) else set()
    for section in _DEPENDENCY_SECTIONS:
        if isinstance(data.get(section), dict):
            names |= set(data[section])
    return names


def _tsc(node: str, workspace: Workspace, typescript: list[str]) -> list[Found]:
    projects = sorted({c for path in typescript if (c := _tsconfig(workspace.root, path)) is not None})
    found: list[Found] = []
    for tsconfig in projects:
        folder = (workspace.root / tsconfig).parent
        tsc = next(
            (
                f / "node_modules" / "typescript" / "bin" / "tsc"
                for f in (folder, *folder.parents)
                if (f / "node_modules" / "typescript" / "bin" / "tsc").is_file()
            ),
            None,
        )
        if tsc is None:
            workspace.notice(
                f"typescript is not installed for {tsconfig} (npm install): tsc --noEmit skipped"
            )
            continue
        workspace.ran("tsc --noEmit")
        try:
            done = subprocess.run(
                [node, str(tsc), "--noEmit", "--pretty", "false", "-p", str(workspace.root / tsconfig)],
                cwd=folder,
                capture_output=True,
                text=True,
                timeout=TIMEOUT,
            )
        except subprocess.TimeoutExpired:
            found.append(Found(tsconfig, 1, f"tsc timed out after {TIMEOUT}s", "tsc"))
            continue
        for line in done.stdout.splitlines():
            m = _TSC_LINE.match(line.strip())
            if m:
                file = (folder / m.group(1)).resolve()
                if file.is_relative_to(workspace.root.resolve()):
                    relative = file.relative_to(workspace.root.resolve()).as_posix()
                    found.append(Found(relative, int(m.group(2)), m.group(3), "tsc"))
    return found


def _tsconfig(root: Path, path: str) -> str | None:
    folder = PurePosixPath(path).parent
    for candidate in (folder, *folder.parents):
        if (root / candidate / "tsconfig.json").is_file():
            return (candidate / "tsconfig.json").as_posix()
    return None
