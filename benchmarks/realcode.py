"""The real-code yardstick: migrate each project of the corpus and judge it with its own toolchain.

    .venv/bin/python benchmarks/realcode.py [--project NAME ...] [--before] [--jobs N] [--format md|json]

For each project of the corpus (tests/realcode/projects.toml says how to install, build and test it):
copy it to a temporary directory, commit it (so `rewrite --apply` has a clean tree), run
`otmigrate rewrite --apply .`, check that the migrated manifests still declare every legacy dependency a
file imports, run the language's install/tidy, rewrite again (dry run: it must change nothing), build /
type-check / load it, count compiler errors (and which of them sit under a `TODO(otmigrate)` comment), and
run the project's own tests. One table row per project. `--before` also runs install, build and tests on
an unmigrated copy, to check the BEFORE pass counts recorded in projects.toml.

Caches (so a second run is fast): Python projects get a virtualenv per set of requirements under
$OTMIGRATE_REALCODE_CACHE (default ~/.cache/otmigrate-realcode), never modified after creation: each run
installs the project copy into a throwaway virtualenv layered on it with a .pth file. npm uses its own
cache (--prefer-offline), Go its module and build caches.
"""

from __future__ import annotations

import argparse
import collections
import concurrent.futures
import contextlib
import fcntl
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import tomllib
from ast_grep_py import SgRoot

ROOT = Path(__file__).resolve().parent.parent
PROJECTS_FILE = ROOT / "tests" / "realcode" / "projects.toml"
CORPUS = Path(os.environ.get("OTMIGRATE_CORPUS", "/work/shared/corpus"))
CACHE = Path(os.environ.get("OTMIGRATE_REALCODE_CACHE", Path.home() / ".cache" / "otmigrate-realcode"))
TODO = "TODO(otmigrate)"
TIMEOUT = 1200
TOOLS = {"go": ["go"], "python": [], "javascript": ["node", "npm"], "typescript": ["node", "npm"]}
SOURCE_SUFFIXES = {
    "go": (".go",),
    "python": (".py",),
    "javascript": (".js", ".mjs", ".cjs", ".ts", ".tsx"),
    "typescript": (".js", ".mjs", ".cjs", ".ts", ".tsx"),
}
SKIP_DIRS = {"node_modules", ".git", ".venv", "vendor", "dist", "lib", "__pycache__"}

# legacy dependencies: manifest name → the import prefixes that need it
GO_LEGACY_MODULES = (
    "github.com/opentracing/",
    "github.com/uber/jaeger-client-go",
    "github.com/uber/jaeger-lib",
    "github.com/openzipkin/",
    "github.com/openzipkin-contrib/",
    "github.com/opentracing-contrib/",
)
PY_LEGACY_DISTS = {"opentracing": "opentracing", "jaeger-client": "jaeger_client", "py-zipkin": "py_zipkin"}
PY_LEGACY_DISTS |= {"basictracer": "basictracer"}
JS_LEGACY_PACKAGE = re.compile(
    r"^(opentracing|jaeger-client|zipkin(-.*)?|@types/(jaeger-client|opentracing))$"
)


# ------------------------------------------------------------------------------------------------ data


@dataclass
class Project:
    name: str
    lang: str
    path: str
    test: list[str]
    tests_before: int
    build: list[list[str]] = field(default_factory=list)
    install: list[str] = field(default_factory=list)
    install_before: list[str] = field(default_factory=list)
    load: list[str] = field(default_factory=list)
    packages: list[str] = field(default_factory=list)
    env: dict[str, str] = field(default_factory=dict)
    test_cwd: str = "."
    xfail: str | None = None

    @property
    def source(self) -> Path:
        return CORPUS / self.path


def load_projects() -> dict[str, Project]:
    """projects.toml, in file order."""
    data = tomllib.loads(PROJECTS_FILE.read_text())
    return {name: Project(name=name, **fields) for name, fields in data["projects"].items()}


def missing_tools(project: Project) -> list[str]:
    return [tool for tool in TOOLS[project.lang] if shutil.which(tool) is None]


@dataclass
class CompilerError:
    path: str
    line: int
    message: str
    under_todo: bool = False

    def __str__(self) -> str:
        mark = "under TODO" if self.under_todo else "SILENT"
        return f"{self.path}:{self.line}: {self.message} [{mark}]"


@dataclass
class Row:
    project: str
    lang: str
    files_rewritten: int = 0
    migrated: int = 0  # call sites (changes of kind "migrated"; manifest edits not counted)
    bridged: int = 0
    todo: int = 0
    rewrite_errors: list[str] = field(default_factory=list)
    legacy_lines_before: int = 0
    legacy_lines_after: int = 0
    installed: bool = False
    builds: bool = False
    errors: list[CompilerError] = field(default_factory=list)
    tests_before: int = 0
    tests_before_measured: int | None = None
    tests_passed: int = 0
    tests_failed: int = 0
    lost_dependencies: list[str] = field(default_factory=list)
    idempotent: bool = False
    not_idempotent_files: list[str] = field(default_factory=list)
    seconds: float = 0.0
    failures: list[str] = field(default_factory=list)  # what went wrong, one line each (for the test)

    @property
    def silent_errors(self) -> list[CompilerError]:
        return [e for e in self.errors if not e.under_todo]


# ------------------------------------------------------------------------------------------------ running


@dataclass
class Ran:
    rc: int
    out: str


def run(cmd: list[str], cwd: Path, env: dict[str, str] | None = None, timeout: int = TIMEOUT) -> Ran:
    """A command with stdout and stderr together; a timeout or a missing program is a failed run."""
    try:
        done = subprocess.run(
            cmd,
            cwd=cwd,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            errors="replace",
            timeout=timeout,
        )
    except subprocess.TimeoutExpired as exc:
        out = exc.stdout.decode(errors="replace") if isinstance(exc.stdout, bytes) else exc.stdout or ""
        return Ran(124, f"{out}\ntimed out after {timeout}s: {' '.join(cmd)}")
    except OSError as exc:
        return Ran(127, f"{cmd[0]}: {exc}")
    return Ran(done.returncode, done.stdout)


def copy_project(project: Project, dest: Path) -> Path:
    """A writable copy of the project, committed as one git commit."""
    shutil.copytree(project.source, dest, symlinks=True)
    for folder, _, files in os.walk(dest):
        os.chmod(folder, 0o755)
        for name in files:
            path = os.path.join(folder, name)
            if not os.path.islink(path):
                os.chmod(path, 0o644)
    (dest / ".git").mkdir()
    git = [
        "git",
        "-c",
        "user.name=realcode",
        "-c",
        "user.email=realcode@localhost",
        "-c",
        "commit.gpgsign=false",
    ]
    run([*git, "init", "-q"], dest)
    # what installs and test runs leave behind is not source
    (dest / ".git" / "info").mkdir(exist_ok=True)
    (dest / ".git" / "info" / "exclude").write_text("node_modules/\n*.egg-info/\n__pycache__/\n")
    run([*git, "add", "-A"], dest)
    ran = run([*git, "commit", "-q", "-m", "corpus copy"], dest)
    if ran.rc:
        raise RuntimeError(f"git commit in {dest} failed: {ran.out}")
    return dest


def otmigrate(copy: Path, *args: str) -> dict:
    """`otmigrate rewrite ... --format json .` in the copy, parsed."""
    cmd = [sys.executable, "-m", "otmigrate", "rewrite", "--format", "json", "-j", "1", *args, "."]
    done = subprocess.run(cmd, cwd=copy, capture_output=True, text=True, timeout=TIMEOUT)
    try:
        return json.loads(done.stdout)
    except ValueError:
        raise RuntimeError(
            f"otmigrate rewrite {' '.join(args)} printed no JSON (rc {done.returncode}):\n"
            + done.stderr[-3000:]
        ) from None


def legacy_lines(folder: Path) -> int:
    """Legacy call-site lines, as the corpus README counts them (count_legacy.py)."""
    ran = run([sys.executable, str(CORPUS / "count_legacy.py"), str(folder)], folder)
    found = re.search(r"call-site lines (\d+)", ran.out)
    return int(found.group(1)) if found else -1


def relative(path: str | Path, folder: Path) -> str:
    """`path` relative to `folder` (either may be reached through a symlink)."""
    return os.path.relpath(os.path.realpath(path), os.path.realpath(folder))


def source_files(folder: Path, suffixes: tuple[str, ...]) -> list[Path]:
    out = []
    for current, dirs, files in os.walk(folder):
        dirs[:] = [d for d in dirs if d not in SKIP_DIRS]
        out += [Path(current) / f for f in files if f.endswith(suffixes) and not f.endswith(".d.ts")]
    return sorted(out)


# -------------------------------------------------------------------------------------------- TODO coverage

_AST_LANG = {".go": "go", ".py": "python", ".js": "javascript", ".mjs": "javascript", ".cjs": "javascript"}
_AST_LANG |= {".ts": "typescript", ".tsx": "tsx"}


def lines_under_todos(path: Path) -> set[int]:
    """1-based lines of each TODO(otmigrate) comment and of the statement right below it (the Go
    convention of tests/go/test_go_real_code.py, for every language)."""
    lang = _AST_LANG.get(path.suffix)
    try:
        text = path.read_text(errors="replace")
    except OSError:
        return set()
    if lang is None or TODO not in text:
        return set()
    covered: set[int] = set()
    for comment in SgRoot(text, lang).root().find_all(kind="comment"):
        if TODO not in comment.text():
            continue
        covered |= set(range(comment.range().start.line + 1, comment.range().end.line + 2))
        statement = comment.next()
        while statement is not None and statement.kind() == "comment":  # the TODO's further lines
            covered |= set(range(statement.range().start.line + 1, statement.range().end.line + 2))
            statement = statement.next()
        while statement is not None and statement.kind() == "statement_list":  # Go: a block's first
            statement = statement.child(0)
        if statement is not None:
            covered |= set(range(statement.range().start.line + 1, statement.range().end.line + 2))
    return covered


def unique(errors: list[CompilerError]) -> list[CompilerError]:
    """One error per place and message (vet repeats the build's; a broken module breaks its importers)."""
    return list({(e.path, e.line, e.message): e for e in errors}.values())


def mark_todos(copy: Path, errors: list[CompilerError]) -> list[CompilerError]:
    cache: dict[str, set[int]] = {}
    for error in errors:
        if error.path not in cache:
            cache[error.path] = lines_under_todos(copy / error.path)
        error.under_todo = error.line in cache[error.path]
    return errors


# ------------------------------------------------------------------------------------------------ manifests


def _requirement_name(text: str) -> tuple[str, str] | None:
    """(normalised name, the whole requirement) of one requirement string, or None."""
    found = re.match(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)\s*(\[[^\]]*\])?\s*([<>=!~;].*)?$", text)
    if not found:
        return None
    return re.sub(r"[-_.]+", "-", found.group(1)).lower(), text.strip()


def python_requirements(folder: Path) -> list[tuple[str, str]]:
    """Requirement strings of the Python manifests (requirements*.txt, setup.py, setup.cfg, pyproject)."""
    out = []
    for path in sorted(folder.glob("*requirements*.txt")) + sorted(folder.glob("requirements/*.txt")):
        for line in path.read_text(errors="replace").splitlines():
            line = line.split("#")[0]
            if (req := _requirement_name(line)) is not None:
                out.append(req)
    for name in ("setup.py", "pyproject.toml"):
        if (folder / name).is_file():
            for quoted in re.findall(r"""["']([^"'\n]+)["']""", (folder / name).read_text(errors="replace")):
                if (req := _requirement_name(quoted)) is not None:
                    out.append(req)
    if (folder / "setup.cfg").is_file():
        for line in (folder / "setup.cfg").read_text(errors="replace").splitlines():
            if (req := _requirement_name(line)) is not None:
                out.append(req)
    return out


def declared_legacy(folder: Path, lang: str) -> set[str]:
    """The legacy tracing dependencies the project's manifests declare."""
    if lang == "go":
        gomod = (folder / "go.mod").read_text() if (folder / "go.mod").is_file() else ""
        modules = re.findall(r"^\s*(?:require\s+)?(\S+)\s+v\S+", gomod, re.M)
        return {m for m in modules if m.startswith(GO_LEGACY_MODULES)}
    if lang == "python":
        return {name for name, _ in python_requirements(folder) if name in PY_LEGACY_DISTS}
    out = set()
    for manifest in [folder / "package.json", *folder.glob("packages/*/package.json")]:
        if manifest.is_file():
            data = json.loads(manifest.read_text())
            for key in ("dependencies", "devDependencies", "peerDependencies", "optionalDependencies"):
                out |= {f"{manifest.parent.relative_to(folder)}:{n}" for n in data.get(key, {})}
    return {d for d in out if JS_LEGACY_PACKAGE.match(d.split(":", 1)[1])}


def imports_of(folder: Path, lang: str) -> dict[str, set[str]]:
    """Every import (Go package path, Python top-level module, JS package name) → files importing it."""
    found: dict[str, set[str]] = collections.defaultdict(set)
    for path in source_files(folder, SOURCE_SUFFIXES[lang]):
        text = path.read_text(errors="replace")
        rel = path.relative_to(folder).as_posix()
        if lang == "go":
            for block in re.findall(r"^import\s*\((.*?)^\)", text, re.M | re.S):
                for name in re.findall(r'"([^"]+)"', block):
                    found[name].add(rel)
            for name in re.findall(r'^import\s+(?:\w+\s+|_\s+|\.\s+)?"([^"]+)"', text, re.M):
                found[name].add(rel)
        elif lang == "python":
            for name in re.findall(r"^\s*(?:from|import)\s+([A-Za-z_]\w*)", text, re.M):
                found[name].add(rel)
        else:
            for spec in re.findall(r"""(?:require\(|from\s+|import\s+|import\()\s*['"]([^'"]+)['"]""", text):
                parts = spec.split("/")
                found[("/".join(parts[:2]) if spec.startswith("@") else parts[0])].add(rel)
    return found


def lost_dependencies(before: set[str], copy: Path, lang: str) -> list[str]:
    """Legacy dependencies the rewrite removed from a manifest while a file still imports them."""
    removed = before - declared_legacy(copy, lang)
    if not removed:
        return []
    imports = imports_of(copy, lang)
    lost = []
    for dep in sorted(removed):
        if lang == "go":
            users = {f for path, files in imports.items() if path.startswith(dep) for f in files}
        elif lang == "python":
            users = imports.get(PY_LEGACY_DISTS[dep], set())
        else:
            manifest_dir, name = dep.split(":", 1)
            name = name.removeprefix("@types/")
            prefix = "" if manifest_dir == "." else manifest_dir + "/"
            users = {f for f in imports.get(name, set()) if f.startswith(prefix)}
        if users:
            lost.append(f"{dep} (still imported by {', '.join(sorted(users)[:3])})")
    return lost


# ------------------------------------------------------------------------------------------------ Go

GO_ERROR = re.compile(r"^(?:vet: )?(?:\./)?([^\s:]+\.go):(\d+)(?::\d+)?: (.*)$", re.M)


def go_env() -> dict[str, str]:
    return {**os.environ, "GOTOOLCHAIN": "local", "GOWORK": "off", "GOFLAGS": ""}


def go_errors(out: str) -> list[CompilerError]:
    return [CompilerError(p, int(line), msg.strip()) for p, line, msg in GO_ERROR.findall(out)]


def go_tests(out: str) -> tuple[int, int]:
    """(passed, failed) top-level tests of `go test -json`; a package that fails without running a test
    (build failure) counts as one failure."""
    passed = failed = 0
    ran_tests: set[str] = set()
    failed_packages: set[str] = set()
    for line in out.splitlines():
        if not line.startswith("{"):
            continue
        try:
            event = json.loads(line)
        except ValueError:
            continue
        test, package, action = event.get("Test"), event.get("Package", ""), event.get("Action")
        if test and "/" not in test and action in ("pass", "fail"):
            passed += action == "pass"
            failed += action == "fail"
            ran_tests.add(package)
        elif not test and action == "fail":
            failed_packages.add(package)
    return passed, failed + len(failed_packages - ran_tests)


# ------------------------------------------------------------------------------------------------ Python


def _pyversion() -> str:
    return f"{sys.version_info.major}.{sys.version_info.minor}.{sys.version_info.micro}"


def cached_env(requirements: list[str], label: str) -> Path:
    """A virtualenv with exactly these requirements, created once and never modified afterwards."""
    key = hashlib.sha256("\n".join([_pyversion(), *requirements]).encode()).hexdigest()[:16]
    venv = CACHE / "venvs" / f"{label}-{key}"
    CACHE.joinpath("venvs").mkdir(parents=True, exist_ok=True)
    with open(CACHE / "venvs" / f".{label}-{key}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if (venv / "complete").is_file():
            return venv
        shutil.rmtree(venv, ignore_errors=True)  # a run that died half-way
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, capture_output=True)
        listing = venv / "requirements.txt"
        listing.write_text("\n".join(requirements) + "\n")
        pip = [str(venv / "bin" / "python"), "-m", "pip", "install", "-q", "--disable-pip-version-check"]
        ran = run([*pip, "setuptools<70", "wheel", "-r", str(listing)], venv)
        if ran.rc:
            raise RuntimeError(f"pip install into {venv} failed:\n{ran.out[-3000:]}")
        (venv / "complete").write_text(listing.read_text())
        return venv


def _site_packages(venv: Path) -> Path:
    return next((venv / "lib").glob("python3*/site-packages"))


def project_venv(base: Path, copy: Path, env: dict[str, str]) -> Path:
    """A throwaway virtualenv beside the copy that sees the cached one (a .pth file) and has the project
    installed editable, so the cached env is never written to."""
    venv = copy.parent / f"venv-{copy.name}"
    subprocess.run(
        [sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True, capture_output=True
    )
    (_site_packages(venv) / "_realcode_base.pth").write_text(f"{_site_packages(base)}\n")
    pip = [str(base / "bin" / "python"), "-m", "pip", "--python", str(venv / "bin" / "python")]
    ran = run(
        [
            *pip,
            "install",
            "-q",
            "--disable-pip-version-check",
            "--no-deps",
            "--no-build-isolation",
            "-e",
            ".",
        ],
        copy,
        env,
    )
    if ran.rc:
        raise RuntimeError(f"pip install -e . of the copy failed:\n{ran.out[-3000:]}")
    return venv


def python_env(project: Project, copy: Path, venv: Path) -> dict[str, str]:
    env = {**os.environ, "VIRTUAL_ENV": str(venv), "PATH": f"{venv / 'bin'}:{os.environ['PATH']}"}
    env.pop("PYTHONPATH", None)
    for key, value in project.env.items():
        env[key] = ":".join(str(copy / p) for p in value.split(":")) if key == "PYTHONPATH" else value
    return env


_IMPORT_ALL = r"""
import importlib, json, pkgutil, sys, traceback
failures = []
for package in sys.argv[1:]:
    names = [package]
    try:
        root = importlib.import_module(package)
        names += [m.name for m in pkgutil.walk_packages(root.__path__, package + ".")]
    except BaseException:
        pass
    for name in names:
        try:
            importlib.import_module(name)
        except BaseException as exc:
            frames = [(f.filename, f.lineno) for f in traceback.extract_tb(exc.__traceback__)]
            failures.append({"module": name, "error": f"{type(exc).__name__}: {exc}", "frames": frames})
print(json.dumps(failures))
"""


def python_load_errors(project: Project, copy: Path, env: dict[str, str]) -> list[CompilerError]:
    """Every module of the project's packages imported (in the project's venv)."""
    ran = run(["python", "-c", _IMPORT_ALL, *project.packages], copy, env)
    try:
        failures = json.loads(ran.out.strip().splitlines()[-1])
    except (ValueError, IndexError):
        return [CompilerError(".", 0, f"the import check crashed: {ran.out[-500:]}")]
    errors = []
    for failure in failures:
        inside = [(f, n) for f, n in failure["frames"] if not relative(f, copy).startswith("..")]
        path, line = inside[-1] if inside else (str(copy), 0)
        errors.append(CompilerError(relative(path, copy), line, failure["error"]))
    return unique(errors)  # a module that fails fails again in every module importing it


RUFF_CODES = "F821,F822,F823,F811,F401,F841"


def python_static_errors(folder: Path) -> list[CompilerError]:
    """Syntax errors and undefined / unused names (ruff's pyflakes rules), without the project's config."""
    ran = run(
        [
            sys.executable, "-m", "ruff", "check", "--isolated", "--no-cache", "--exit-zero",
            "--output-format", "json", "--select", RUFF_CODES, ".",
        ],
        folder,
    )  # fmt: skip
    try:
        found = json.loads(ran.out[ran.out.index("[") :])
    except ValueError:
        return [CompilerError(".", 0, f"ruff failed: {ran.out[-500:]}")]
    return [
        CompilerError(
            relative(f["filename"], folder),
            f["location"]["row"],
            f"{f['code'] or 'syntax'} {f['message']}",
        )
        for f in found
    ]


def new_errors(after: list[CompilerError], before: list[CompilerError]) -> list[CompilerError]:
    """Errors of the migrated copy that the original did not have (line numbers move; messages do not)."""

    def key(error: CompilerError) -> tuple[str, str]:
        return error.path, re.sub(r"\bline \d+", "line N", error.message)  # "redefinition … from line 395"

    seen = collections.Counter(map(key, before))
    out = []
    for error in after:
        if seen[key(error)]:
            seen[key(error)] -= 1
        else:
            out.append(error)
    return out


def otel_requirements(folder: Path) -> list[str]:
    return sorted({req for name, req in python_requirements(folder) if name.startswith("opentelemetry")})


def corpus_requirements(project: Project) -> list[str]:
    lines = (project.source / "corpus-requirements.txt").read_text().splitlines()
    return [line.strip() for line in lines if line.strip() and not line.startswith("#")]


def pytest_counts(out: str) -> tuple[int, int]:
    summary = [line for line in out.splitlines() if re.search(r"\d+ (passed|failed|errors?)\b", line)]
    if not summary:
        return 0, 0
    last = summary[-1]
    count = {k: int(n) for n, k in re.findall(r"(\d+) (passed|failed|errors?)\b", last)}
    return count.get("passed", 0), count.get("failed", 0) + count.get("error", 0) + count.get("errors", 0)


# ------------------------------------------------------------------------------------------------ JS / TS

TSC_ERROR = re.compile(r"^([^\s(][^(]*\.tsx?)\((\d+),\d+\): error (TS\d+: .*)$", re.M)

_LOAD_ALL = r"""
const path = require('path');
const failures = [];
for (const file of process.argv.slice(1)) {
  try { require(path.resolve(file)); }
  catch (e) {
    const here = process.cwd().replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    const frame = String(e.stack).match(new RegExp(here + '/([^:)]+):(\\d+)')) || [];
    const error = String((e && e.message) || e).split('\n')[0];
    failures.push({file, error, at: frame[1] || file, line: +(frame[2] || 0)});
  }
}
console.log(JSON.stringify(failures));
process.exit(0);
"""


def js_load_errors(project: Project, copy: Path) -> list[CompilerError]:
    """Each module of `load` required in one node process (what `node -e "require(...)"` checks)."""
    files = sorted(
        {
            p.relative_to(copy).as_posix()
            for pattern in project.load
            for p in copy.glob(pattern)
            if p.is_file()
        }
    )
    ran = run(["node", "-e", _LOAD_ALL, *files], copy, timeout=120)
    try:
        failures = json.loads(ran.out.strip().splitlines()[-1])
    except (ValueError, IndexError):
        return [CompilerError(".", 0, f"node load check crashed: {ran.out[-500:]}")]
    return unique([CompilerError(f["at"], f["line"], f["error"]) for f in failures])


def jest_or_mocha_counts(out: str) -> tuple[int, int]:
    jest = re.findall(r"^Tests:\s+(.*)$", out, re.M)
    if jest:
        passed = sum(int(n) for n in re.findall(r"(\d+) passed", " ".join(jest)))
        failed = sum(int(n) for n in re.findall(r"(\d+) failed", " ".join(jest)))
        suites = re.findall(r"^Test Suites:\s+(\d+) failed", out, re.M)
        return passed, failed or sum(int(n) for n in suites)
    passed = sum(int(n) for n in re.findall(r"^\s*(\d+) passing", out, re.M))
    failed = sum(int(n) for n in re.findall(r"^\s*(\d+) failing", out, re.M))
    return passed, failed


# ------------------------------------------------------------------------------------------------ one project


@dataclass
class Checked:
    installed: bool
    builds: bool
    errors: list[CompilerError]
    passed: int
    failed: int
    log: list[str]


NETWORK_TROUBLE = re.compile(
    r"Temporary failure in name resolution|Name or service not known|Network is unreachable"
    r"|NewConnectionError|ReadTimeoutError|ENOTFOUND|EAI_AGAIN|ECONNREFUSED|ECONNRESET|ETIMEDOUT"
    r"|dial tcp|i/o timeout"
)


def unreachable(output: str) -> None:
    """An install that failed for want of the registries is the harness's failure, not the migration's."""
    if found := NETWORK_TROUBLE.search(output):
        raise RuntimeError(f"network: a registry is unreachable ({found.group(0)}):\n{output[-1500:]}")


def check(project: Project, copy: Path, *, migrated: bool) -> Checked:
    """Install, build / type-check / load, and test one copy (migrated or not)."""
    log: list[str] = []

    def step(cmd: list[str], cwd: Path = copy, env: dict[str, str] | None = None) -> Ran:
        ran = run(cmd, cwd, env)
        log.append(f"$ {' '.join(cmd)}  (rc {ran.rc})\n{ran.out[-4000:]}")
        return ran

    def install(cmd: list[str], env: dict[str, str]) -> bool:
        ran = step(cmd, env=env)
        unreachable(ran.out if ran.rc else "")
        return ran.rc == 0

    if project.lang == "go":
        env = go_env()
        installed = not migrated or install(["go", "mod", "tidy"], env)
        built = [step(cmd, env=env) for cmd in project.build]
        builds = all(ran.rc == 0 for ran in built)
        errors = unique([e for ran in built for e in go_errors(ran.out)])
        ran = step(project.test, env=env)
        passed, failed = go_tests(ran.out)
    elif project.lang == "python":
        extra = otel_requirements(copy) if migrated else []
        try:
            base = cached_env(corpus_requirements(project) + extra, project.name)
            env = python_env(project, copy, project_venv(base, copy, {**os.environ, **project.env}))
            installed = True
        except (RuntimeError, subprocess.CalledProcessError) as exc:
            unreachable(str(exc))
            log.append(f"install failed: {exc}")
            return Checked(
                False, False, [CompilerError(".", 0, f"install failed: {str(exc)[:300]}")], 0, 0, log
            )
        errors = python_load_errors(project, copy, env) + python_static_errors(copy)
        if migrated:  # only what the migration broke: old code has its own unused imports
            original = copy.parent / "original"
            if not original.exists():
                copy_project(project, original)
            base_env = python_env(
                project, original, project_venv(base, original, {**os.environ, **project.env})
            )
            before = python_load_errors(project, original, base_env) + python_static_errors(original)
            errors = new_errors(errors, before)
        builds = not [e for e in errors if not e.message.startswith(("F401", "F841", "F811"))]
        ran = step(project.test, copy / project.test_cwd, env)
        passed, failed = pytest_counts(ran.out)
    else:
        env = {**os.environ, "CI": "true"}
        installed = install(project.install if migrated else project.install_before, env)
        builds = True
        errors = []
        for cmd in project.build:
            ran = step(cmd, env=env)
            builds &= ran.rc == 0
            errors += [CompilerError(p.strip(), int(n), m) for p, n, m in TSC_ERROR.findall(ran.out)]
        if project.load:
            loaded = js_load_errors(project, copy)
            builds &= not loaded
            errors += loaded
        ran = step(project.test, env=env)
        passed, failed = jest_or_mocha_counts(ran.out)
    return Checked(installed, builds, mark_todos(copy, errors), passed, failed, log)


def measure(project: Project, *, before: bool = False, keep: bool = False) -> tuple[Row, list[str]]:
    """One table row for a project, and the log of every command."""
    start = time.monotonic()
    row = Row(project.name, project.lang, tests_before=project.tests_before)
    work = Path(tempfile.mkdtemp(prefix=f"realcode-{project.name}-"))
    log: list[str] = []
    try:
        if before:
            checked = check(project, copy_project(project, work / "before"), migrated=False)
            row.tests_before_measured = checked.passed
            log += ["--- BEFORE ---", *checked.log]
        copy = copy_project(project, work / "copy")
        row.legacy_lines_before = legacy_lines(copy)
        declared = declared_legacy(copy, project.lang)

        report = otmigrate(copy, "--apply")
        changes = [c for f in report["files"] for c in f["changes"]]
        row.files_rewritten = sum(bool(f.get("written")) for f in report["files"])
        row.migrated = sum(c["kind"] == "migrated" and c["rule"] != "manifest" for c in changes)
        row.bridged = sum(c["kind"] == "bridged" for c in changes)
        row.todo = sum(c["kind"] == "manual" for c in changes)
        row.rewrite_errors = [f"{f['path']}: {f['error']}" for f in report["files"] if f.get("error")]
        row.legacy_lines_after = legacy_lines(copy)
        row.lost_dependencies = lost_dependencies(declared, copy, project.lang)

        checked = check(project, copy, migrated=True)
        log += ["--- AFTER ---", *checked.log]
        row.installed, row.builds, row.errors = checked.installed, checked.builds, checked.errors
        row.tests_passed, row.tests_failed = checked.passed, checked.failed

        again = otmigrate(copy)  # after the install/tidy: a second rewrite must change nothing
        row.not_idempotent_files = [f["path"] for f in again["files"] if f.get("changed")]
        row.idempotent = not row.not_idempotent_files
    except Exception as exc:  # one broken project must not hide the others' rows
        row.failures.append(f"harness: {type(exc).__name__}: {str(exc)[:2000]}")
    finally:
        if not keep:
            shutil.rmtree(work, ignore_errors=True)
        else:
            log.append(f"kept: {work}")
    row.seconds = round(time.monotonic() - start, 1)
    row.failures += judge(row)
    return row, log


def judge(row: Row) -> list[str]:
    """What keeps a project from counting as migrated (issue 11's "Done when")."""
    out = [f"rewrite error: {e}" for e in row.rewrite_errors]
    if row.migrated == 0:
        out.append(f"no call site migrated ({row.todo} TODO, {row.legacy_lines_after} legacy lines left)")
    if not row.installed:
        out.append("install/tidy failed")
    if not row.builds:
        out.append("does not build / type-check / load")
    out += [f"silent error: {e}" for e in row.silent_errors]
    if row.tests_failed or row.tests_passed < row.tests_before:
        out.append(
            f"own tests: {row.tests_passed} passed, {row.tests_failed} failed (before: {row.tests_before})"
        )
    out += [f"manifest lost {d}" for d in row.lost_dependencies]
    if not row.idempotent:
        out.append(f"second rewrite changes {', '.join(row.not_idempotent_files) or 'something'}")
    return out


# ------------------------------------------------------------------------------------------------ table

HEADER = (
    "| project | lang | builds | tests before → after (failed) | migrated / bridged / TODO "
    "| legacy lines before → left | errors total / under TODO / silent | manifest | idempotent | s |"
)


def markdown(rows: list[Row]) -> str:
    lines = [HEADER, "|" + "---|" * 10]
    for r in rows:
        before = str(r.tests_before)
        if r.tests_before_measured is not None:
            before += f" (measured {r.tests_before_measured})"
        builds = "✔" if r.builds else ("✘ install" if not r.installed else "✘")
        if any(f.startswith("harness:") for f in r.failures):
            builds = "harness error"
        silent = len(r.silent_errors)
        lines.append(
            f"| {r.project} | {r.lang} | {builds} | {before} → {r.tests_passed} ({r.tests_failed}) "
            f"| {r.migrated} / {r.bridged} / {r.todo} | {r.legacy_lines_before} → {r.legacy_lines_after} "
            f"| {len(r.errors)} / {len(r.errors) - silent} / {silent} "
            f"| {'lost ' + str(len(r.lost_dependencies)) if r.lost_dependencies else 'ok'} "
            f"| {'✔' if r.idempotent else '✘'} | {r.seconds:.0f} |"
        )
    done = sum(not r.failures for r in rows)
    lines.append(
        f"\n{done} of {len(rows)} projects fully migrated (builds, own tests pass, 0 silent errors, "
    )
    lines[-1] += "manifests keep imported deps, idempotent)."
    return "\n".join(lines)


def details(rows: list[Row]) -> str:
    out = []
    for r in rows:
        if r.failures:
            out.append(f"- **{r.project}**: " + "; ".join(f[:300] for f in r.failures[:8]))
            if len(r.failures) > 8:
                out[-1] += f"; … {len(r.failures) - 8} more"
    return "\n".join(out)


def row_from_json(entry: dict) -> Row:
    errors = [CompilerError(**e) for e in entry.pop("errors")]
    return Row(**entry, errors=errors)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--project", action="append", help="only this project (repeatable)")
    parser.add_argument("--before", action="store_true", help="also run install/build/tests unmigrated")
    parser.add_argument("--jobs", type=int, default=1, help="projects measured at once")
    parser.add_argument("--format", choices=("md", "json"), default="md")
    parser.add_argument("--log", type=Path, help="write every command's output to this file")
    parser.add_argument("--keep", action="store_true", help="keep the temporary copies (paths in the log)")
    parser.add_argument("--table", type=Path, help="print the table of a saved --format json run")
    args = parser.parse_args(argv)
    if args.table:
        rows = [row_from_json(entry) for entry in json.loads(args.table.read_text())]
        print(markdown(rows) + "\n\n" + details(rows))
        return 0
    projects = load_projects()
    names = args.project or list(projects)
    unknown = [n for n in names if n not in projects]
    if unknown:
        parser.error(f"unknown project(s) {', '.join(unknown)}; known: {', '.join(projects)}")
    for name in names:
        if missing := missing_tools(projects[name]):
            print(f"{name}: needs {', '.join(missing)} on PATH", file=sys.stderr)
            return 2
    start = time.monotonic()
    with concurrent.futures.ThreadPoolExecutor(max_workers=args.jobs) as pool:
        futures = [pool.submit(measure, projects[n], before=args.before, keep=args.keep) for n in names]
        results = [f.result() for f in futures]
    rows = [row for row, _ in results]
    if args.log:
        args.log.write_text(
            "\n\n".join(f"=========== {row.project}\n" + "\n".join(log) for row, log in results)
        )
    if args.format == "json":
        print(json.dumps([asdict(r) | {"failures": r.failures} for r in rows], indent=1))
    else:
        print(markdown(rows))
        print(f"\n{time.monotonic() - start:.0f} s in all, {args.jobs} at a time.\n")
        print(details(rows))
    return 0


if __name__ == "__main__":
    with contextlib.suppress(KeyboardInterrupt):
        sys.exit(main())
