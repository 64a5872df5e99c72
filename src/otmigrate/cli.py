"""The command line. It parses options and hands over; the work lives in the pipeline modules.

Imports are deferred into each command so that `otmigrate lint` (the pre-commit path) loads only
what linting needs.
"""

from __future__ import annotations

import functools
import os
import signal
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, redirect_stdout
from fnmatch import fnmatchcase
from pathlib import Path
from typing import Any

import click

from otmigrate import __version__, progress

EXIT_CLEAN, EXIT_FINDINGS, EXIT_ERROR = 0, 1, 2
EXIT_INTERRUPTED = 130  # 128 + SIGINT, as shells report a Ctrl-C


def _fail(message: str) -> None:
    click.echo(f"otmigrate: {message}", err=True)
    sys.exit(EXIT_ERROR)


def _settings(
    config: Path | None,
    rules: tuple[Path, ...],
    exclude: tuple[str, ...],
    select: tuple[str, ...] = (),
    ignore: tuple[str, ...] = (),
    paths: tuple[str, ...] = (),
) -> Any:
    """Config file settings with the command-line flags laid over them. Without --config, the config is
    the one nearest the first PATH (so `otmigrate rewrite ../other-repo` uses that repository's)."""
    from otmigrate.config import ConfigError, load_settings

    _check_paths(paths)
    try:
        settings = load_settings(config, _start_folder(paths))
    except ConfigError as exc:
        _fail(str(exc))
    settings.rules += [p.resolve() for p in rules]
    settings.exclude += list(exclude)
    if select:
        settings.select = _split(select)
    if ignore:
        settings.ignore = _split(ignore)
    return settings


def _start_folder(paths: tuple[str, ...]) -> Path:
    """Where the run's config and repository are looked for: the first PATH's folder, else the cwd."""
    first = Path(paths[0]) if paths and paths[0] != "-" else Path.cwd()
    return first if first.is_dir() else first.parent


def _split(values: tuple[str, ...]) -> list[str]:
    """Repeated or comma-separated, as ruff takes them: `--select OTM1,OTM403`."""
    return [part.strip() for value in values for part in value.split(",") if part.strip()]


def _check_paths(paths: tuple[str, ...]) -> None:
    """A path that does not exist is a usage error (exit 2), not an empty run that looks clean."""
    missing = [p for p in paths if p != "-" and not os.path.lexists(p)]
    for path in missing:
        click.echo(f"otmigrate: {path}: no such file or directory", err=True)
    if missing:
        sys.exit(EXIT_ERROR)


def _check_selectors(option: str, values: list[str], known: list[str]) -> None:
    """Each --select/--ignore value must name something: a typo would silently run everything (or
    nothing). The error lists the prefixes that exist."""
    for value in values:
        wanted = value.upper() if value.upper().startswith("OTM") else value
        if not any(k.startswith(wanted) or fnmatchcase(k, wanted) for k in known):
            prefixes = sorted({k[:4] if k.startswith("OTM") else k.split("-")[0] + "-" for k in known})
            _fail(
                f"{option} {value}: matches no rule or code (known prefixes: {', '.join(prefixes)}; "
                "`otmigrate rules list` lists them all)"
            )


def _check_revision(rev: str, paths: tuple[str, ...]) -> None:
    """--new-from-rev must name a commit of the repository the files are in (HEAD may be unborn: in a
    repository without commits every finding is new)."""
    from otmigrate.git import run_git

    folder = _start_folder(paths)
    done = run_git(folder, "rev-parse", "--verify", "--quiet", f"{rev}^{{commit}}")
    if done is not None and done.returncode == 0:
        return
    repository = run_git(folder, "rev-parse", "--git-dir")
    if repository is None or repository.returncode != 0:
        _fail(f"--new-from-rev {rev}: {folder} is not in a git repository")
    if rev != "HEAD":
        _fail(f"--new-from-rev {rev}: not a commit in the repository at {folder}")


def _rules(settings: Any, *, handlers: bool = False) -> list[Any]:
    from otmigrate.rulefiles import RuleFileError, check_handlers, external_rule_files, load_rules, selected

    try:
        rules = load_rules(settings.rules)
        if handlers:
            check_handlers(rules)
    except RuleFileError as exc:
        _fail(str(exc))
    known = [r.id for r in rules] + _manifest_rule_ids() + _lint_codes()
    _check_selectors("select", settings.select, known)
    _check_selectors("ignore", settings.ignore, known)
    rules = [r for r in rules if selected(r.id, settings.select, settings.ignore)]
    external = external_rule_files(rules)
    if external:
        click.echo(
            f"otmigrate: using rules from outside the bundle: {', '.join(map(str, external))}", err=True
        )
    return rules


def _check_lint_table(settings: Any) -> None:
    """rewrite lints what it produces with [tool.otmigrate.lint]: a bad table stops it before any work."""
    from otmigrate.lint.registry import RULES
    from otmigrate.lint.settings import LintConfigError, resolve

    try:
        resolve(RULES, settings.lint)
    except LintConfigError as exc:
        _fail(f"{settings.config_file}: {exc}")


def _manifest_rule_ids() -> list[str]:
    from otmigrate.languages import LANGUAGES
    from otmigrate.manifests import manifest_rule_id

    return [manifest_rule_id(language) for language in LANGUAGES.values()]


def _lint_codes() -> list[str]:
    from otmigrate.lint.registry import RULES

    return list(RULES)


def _common(command: Callable[..., Any]) -> Callable[..., Any]:
    """Options every file-processing command takes."""
    options = [
        click.argument("paths", nargs=-1, type=click.Path(path_type=str)),
        click.option(
            "--config",
            type=click.Path(exists=True, dir_okay=False, path_type=Path),
            help="Config file (default: nearest .otmigrate.toml or pyproject.toml with [tool.otmigrate]).",
        ),
        click.option(
            "--rules",
            "rule_dirs",
            multiple=True,
            type=click.Path(file_okay=False, path_type=Path),
            help="Extra rule directory (repeatable).",
        ),
        click.option("--exclude", multiple=True, help="Gitignore-style pattern to skip (repeatable)."),
        click.option(
            "--jobs",
            "-j",
            type=click.IntRange(min=1),
            default=None,
            help="Worker processes (default: all cores; lint: serial below 1,000 files).",
        ),
    ]
    options += [
        click.option(
            "--statistics", is_flag=True, help="Counts per rule (and per code) instead of the full output."
        ),
        click.option(
            "--output-file",
            "-o",
            type=click.Path(dir_okay=False, writable=True, path_type=Path),
            help="Write the output (any format) to FILE instead of standard output.",
        ),
        click.option("--quiet", "-q", is_flag=True, help="No progress bar: only the output and errors."),
        click.option(
            "--verbose", "-v", is_flag=True, help="Also say which config was used and how long the run took."
        ),
    ]

    @functools.wraps(command)
    def run(*args: Any, quiet: bool, verbose: bool, output_file: Path | None, **kwargs: Any) -> Any:
        with (
            _output_to(output_file),
            _verbose_notes(command.__name__, verbose, kwargs),
            progress.shown(command.__name__, quiet=quiet),
        ):
            return command(*args, **kwargs)

    for option in reversed(options):
        run = option(run)
    return run


@contextmanager
def _output_to(path: Path | None) -> Iterator[None]:
    """--output-file: what the command prints to standard output goes to the file (uncoloured, as is:
    newline="" keeps a diff's CRLF lines)."""
    if path is None:
        yield
        return
    try:
        handle = open(path, "w", encoding="utf-8", newline="")  # noqa: SIM115 (closed below)
    except OSError as exc:
        _fail(f"{path}: cannot write: {exc.strerror or exc}")
    with handle, redirect_stdout(handle):
        yield


@contextmanager
def _verbose_notes(command: str, verbose: bool, options: dict[str, Any]) -> Iterator[None]:
    started = time.monotonic()
    try:
        yield
    finally:
        if verbose:
            from otmigrate.config import find_config

            config = options.get("config") or find_config(_start_folder(options["paths"]).resolve())
            click.echo(f"otmigrate: config: {config or 'none (defaults)'}", err=True)
            for folder in options.get("rule_dirs") or ():
                click.echo(f"otmigrate: extra rules: {folder}", err=True)
            click.echo(f"otmigrate: {command} took {time.monotonic() - started:.2f} s", err=True)


class _Main(click.Group):
    """Ctrl-C ends any command at once with exit 130 (click would say "Aborted!" and exit 1)."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except KeyboardInterrupt:
            signal.signal(signal.SIGINT, signal.SIG_IGN)  # a second Ctrl-C must not interrupt the exit
            click.echo("otmigrate: interrupted", err=True)
            sys.exit(EXIT_INTERRUPTED)


@click.group(cls=_Main, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, "--version", prog_name="otmigrate")
def main() -> None:
    """Migrate OpenTracing, Jaeger and Zipkin tracing code to OpenTelemetry, and lint tracing code.

    \b
    Exit codes: 0 clean, 1 findings or pending changes, 2 usage, config or rule-file error,
    130 interrupted (Ctrl-C).
    """


@main.command()
@_common
@click.option(
    "--format", "output_format", type=click.Choice(["text", "json"]), default="text", show_default=True
)
def scan(
    paths: tuple[str, ...],
    config: Path | None,
    rule_dirs: tuple[Path, ...],
    exclude: tuple[str, ...],
    jobs: int | None,
    statistics: bool,
    output_format: str,
) -> None:
    """Inventory of legacy tracing usage: what is where, and what can be migrated.

    \b
    Examples:
      otmigrate scan                       # the current directory
      otmigrate scan services/ --format json > inventory.json
    """
    from otmigrate.output import scan_report, scan_statistics
    from otmigrate.pool import default_jobs
    from otmigrate.scan import scan_paths

    settings = _settings(config, rule_dirs, exclude, paths=paths)
    files, scanned = scan_paths(list(paths) or ["."], settings, _rules(settings), jobs or default_jobs())
    if statistics:
        scan_statistics(files, output_format, sys.stdout)
    else:
        scan_report(files, scanned, output_format, sys.stdout)
    sys.exit(EXIT_FINDINGS if any(f.error for f in files) else EXIT_CLEAN)


@main.command()
@_common
@click.option("--apply", is_flag=True, help="Write the changes (default: print a diff, write nothing).")
@click.option(
    "--force", is_flag=True, help="With --apply, also write files that have uncommitted changes in git."
)
@click.option(
    "--unsafe-fixes", is_flag=True, help="Also apply rules marked unsafe (behaviour changes you accept)."
)
@click.option("--select", multiple=True, help="Only rules whose id starts with or matches this (repeatable).")
@click.option("--ignore", multiple=True, help="Skip rules whose id starts with or matches this (repeatable).")
@click.option(
    "--exit-zero", is_flag=True, help="Exit 0 with changes pending (errors about files still exit 1)."
)
@click.option(
    "--report",
    "report_file",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Also write the migration report to FILE: .html (self-contained) or .md.",
)
@click.option(
    "--verify",
    is_flag=True,
    help="Check the migrated project in a temporary copy with the language's own tools (go build/vet, "
    "compile + pyflakes, node --check + module resolution, tsc); with --apply, write nothing when it "
    "finds a problem no TODO(otmigrate) covers.",
)
@click.option(
    "--allow-broken", is_flag=True, help="With --apply --verify, write even when verification fails."
)
@click.option(
    "--format", "output_format", type=click.Choice(["text", "json"]), default="text", show_default=True
)
def rewrite(
    paths: tuple[str, ...],
    config: Path | None,
    rule_dirs: tuple[Path, ...],
    exclude: tuple[str, ...],
    jobs: int | None,
    statistics: bool,
    apply: bool,
    force: bool,
    unsafe_fixes: bool,
    select: tuple[str, ...],
    ignore: tuple[str, ...],
    exit_zero: bool,
    report_file: Path | None,
    verify: bool,
    allow_broken: bool,
    output_format: str,
) -> None:
    """Migrate legacy tracing to OpenTelemetry: a unified diff and a report, or --apply to write.

    \b
    Examples:
      otmigrate rewrite fixtures/demo              # show what would change
      otmigrate rewrite --apply services/backend   # write it
      otmigrate rewrite --unsafe-fixes --select go- .
      otmigrate rewrite --report migration.html fixtures/demo
      otmigrate rewrite --apply --verify .          # write only what builds
    Exit 1 when changes are pending (as ruff --diff; --exit-zero makes it 0), a file could not be
    processed, or --verify found a problem no TODO covers; 0 when there is nothing to do.
    --apply leaves files with uncommitted git changes alone (and says so) unless --force.
    """
    from otmigrate.output import rewrite_report, rewrite_statistics
    from otmigrate.pool import default_jobs
    from otmigrate.rewrite import rewrite_paths

    if report_file is not None and report_file.suffix.lower() not in (".html", ".htm", ".md"):
        _fail(f"--report {report_file}: the report is .html or .md")
    settings = _settings(config, rule_dirs, exclude, select, ignore, paths)
    rules = _rules(settings, handlers=True)
    _check_lint_table(settings)
    roots = list(paths) or ["."]
    checked: list[Any] = []

    def verified(results: list[Any]) -> bool:
        from otmigrate.verify import verify_results

        checked.append(verify_results(roots, results))
        return checked[0].ok or allow_broken

    results = rewrite_paths(
        roots,
        settings,
        rules,
        jobs or default_jobs(),
        unsafe=unsafe_fixes,
        apply=apply,
        force=force,
        before_write=verified if verify else None,
    )
    if verify and not checked:
        verified(results)
    verification = checked[0] if checked else None
    if statistics:
        rewrite_statistics(results, output_format, sys.stdout)
    else:
        rewrite_report(results, output_format, apply, sys.stdout, verification)
    if report_file is not None:
        _write_report(results, settings, apply, report_file, verification)
    pending = any(r.changed and not r.written for r in results) and not exit_zero
    broken = verification is not None and not verification.ok
    sys.exit(EXIT_FINDINGS if pending or broken or any(r.error for r in results) else EXIT_CLEAN)


@main.command()
@_common
@click.option(
    "--format",
    "output_format",
    type=click.Choice(["text", "json", "sarif", "github"]),
    default="text",
    show_default=True,
)
@click.option(
    "--select", multiple=True, help="Only these codes or prefixes, e.g. OTM1 (repeatable or comma-separated)."
)
@click.option("--ignore", multiple=True, help="Skip these codes or prefixes (repeatable or comma-separated).")
@click.option(
    "--fail-on",
    type=click.Choice(["info", "warning", "error"]),
    default="warning",
    show_default=True,
    help="Lowest severity that makes the exit code 1.",
)
@click.option(
    "--profile",
    type=click.Choice(["pre-commit", "recommended", "strict"]),
    default=None,
    help="Rule set (default: from config, else pre-commit).",
)
@click.option(
    "--baseline", type=click.Path(dir_okay=False, path_type=Path), help="Report only findings not in FILE."
)
@click.option(
    "--write-baseline",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Record today's findings in FILE.",
)
@click.option("--exit-zero", is_flag=True, help="Exit 0 even with findings.")
@click.option(
    "--fix", is_flag=True, help="Apply the safe fixes (OTM403 renamed keys); files are written atomically."
)
@click.option(
    "--new-from-rev",
    metavar="REV",
    help="Report only findings a file did not have at git revision REV (the no-legacy hook uses HEAD).",
)
@click.option(
    "--stdin-filename",
    metavar="PATH",
    help="With `-`: the name (and so the language) of the source read from standard input.",
)
def lint(
    paths: tuple[str, ...],
    config: Path | None,
    rule_dirs: tuple[Path, ...],
    exclude: tuple[str, ...],
    jobs: int | None,
    statistics: bool,
    output_format: str,
    select: tuple[str, ...],
    ignore: tuple[str, ...],
    fail_on: str,
    profile: str | None,
    baseline: Path | None,
    write_baseline: Path | None,
    exit_zero: bool,
    fix: bool,
    new_from_rev: str | None,
    stdin_filename: str | None,
) -> None:
    """Report tracing anti-patterns (OTM codes). `-` reads the source from standard input.

    \b
    Examples:
      otmigrate lint src/
      otmigrate lint --format sarif . > otmigrate.sarif
      otmigrate lint --select OTM1 --fail-on error services/
      otmigrate lint --fix src/                # rename deprecated semantic-convention keys
      cat app.py | otmigrate lint --stdin-filename app.py -
    """
    from otmigrate.lint import LintOptions, run

    settings = _settings(config, rule_dirs, exclude, select, ignore, paths)
    _check_selectors("--select", _split(select), _lint_codes())
    _check_selectors("--ignore", _split(ignore), _lint_codes())
    if new_from_rev is not None:
        _check_revision(new_from_rev, paths)
    stdin = None
    if paths == ("-",) or (stdin_filename is not None and not paths):
        if fix:
            _fail("--fix cannot rewrite standard input; run it on the file")
        stdin = (stdin_filename or "-", sys.stdin.buffer.read())
    elif "-" in paths:
        _fail("`-` (standard input) cannot be mixed with paths")
    options = LintOptions(
        paths=list(paths) or ["."],
        output_format=output_format,
        select=settings.select,
        ignore=settings.ignore,
        fail_on=fail_on,
        baseline=baseline,
        write_baseline=write_baseline,
        exit_zero=exit_zero,
        jobs=jobs,
        profile=profile,
        fix=fix,
        new_from_rev=new_from_rev,
        stdin=stdin,
        statistics=statistics,
    )
    sys.exit(run(options, settings, sys.stdout))


@main.group(invoke_without_command=True)
@click.pass_context
def rules(ctx: click.Context) -> None:
    """List, show and test the rules: migration rules and lint codes."""
    if ctx.invoked_subcommand is None:  # `otmigrate rules` alone: what it can do, and exit 0
        click.echo(ctx.get_help())


@rules.command("list")
@click.option("--rules", "rule_dirs", multiple=True, type=click.Path(file_okay=False, path_type=Path))
@click.option("--language", type=click.Choice(["python", "go", "javascript"]))
def rules_list(rule_dirs: tuple[Path, ...], language: str | None) -> None:
    """One line per rule: the migration rules (id, language, library, action, safety, what it does), then
    the lint codes (code, languages, "lint", severity, profile, name and what it finds).

    \b
    Example:
      otmigrate rules list --language go
    """
    from otmigrate.lint.registry import RULES

    settings = _settings(None, rule_dirs, ())
    for rule in _rules(settings):
        if language is None or rule.language.name == language:
            click.echo(
                f"{rule.id:50} {rule.language.name:10} {rule.library:11} {rule.action:7} "
                f"{rule.safety or '-':6} {rule.message}"
            )
    for code, lint_rule in sorted(RULES.items()):
        if language is None or language in lint_rule.languages:
            languages = "all" if len(lint_rule.languages) == 3 else ",".join(lint_rule.languages)
            click.echo(
                f"{code:50} {languages:10} {'lint':11} {lint_rule.severity:7} {lint_rule.profile:10} "
                f"{lint_rule.name}: {lint_rule.summary}"
            )


@rules.command("show")
@click.argument("rule_id")
@click.option("--rules", "rule_dirs", multiple=True, type=click.Path(file_okay=False, path_type=Path))
def rules_show(rule_id: str, rule_dirs: tuple[Path, ...]) -> None:
    """Everything about one rule (a migration rule id or a lint code), with its examples.

    \b
    Examples:
      otmigrate rules show py-opentracing-set-operation-name
      otmigrate rules show OTM101
    """
    if rule_id.upper().startswith("OTM"):
        _show_lint_code(rule_id.upper())
        return
    settings = _settings(None, rule_dirs, ())
    found = [r for r in _rules(settings) if r.id == rule_id]
    if not found:
        _fail(f"no rule with id '{rule_id}' (see `otmigrate rules list`)")
    rule = found[0]
    click.echo(f"{rule.id}  ({rule.location})\n  language: {rule.language.name}\n  library: {rule.library}")
    click.echo(f"  action: {rule.action}\n  safety: {rule.safety or '-'}\n  message: {rule.message}")
    if rule.note:
        click.echo(f"  note: {rule.note}")
    for example in rule.examples:
        for label, code in (
            ("before", example.before),
            ("after", example.after),
            ("match", example.match),
            ("no match", example.no_match),
        ):
            if code is not None:
                click.echo(f"  {label}:\n" + "".join(f"    {line}\n" for line in code.splitlines()))


def _write_report(
    results: list[Any], settings: Any, applied: bool, destination: Path, verification: Any
) -> None:
    from otmigrate import report

    try:
        report.write(report.build(results, settings, applied, verification), destination)
    except OSError as exc:
        _fail(f"{destination}: cannot write: {exc.strerror or exc}")


def _show_lint_code(code: str) -> None:
    from otmigrate.lint.docs import page
    from otmigrate.lint.registry import RULES

    if code not in RULES:
        _fail(f"no lint code '{code}' (see `otmigrate rules list`)")
    click.echo(page(RULES[code]), nl=False)


@rules.command("test")
@click.argument("dirs", nargs=-1, type=click.Path(exists=True, file_okay=False, path_type=Path))
def rules_test(dirs: tuple[Path, ...]) -> None:
    """Run every rule's examples (the bundled rules, or the rules in DIRS).

    \b
    Examples:
      otmigrate rules test
      otmigrate rules test my-rules/
    """
    from otmigrate.rulefiles import RuleFileError, check_handlers, load_rules
    from otmigrate.ruletest import check_rules

    try:
        loaded = load_rules(list(dirs), bundled=not dirs)
        check_handlers(loaded)
    except RuleFileError as exc:
        _fail(str(exc))
    results = check_rules(loaded)
    failed = [r for r in results if not r.passed]
    for result in failed:
        click.echo(f"FAIL {result.rule.id} ({result.rule.location}): {result.problem}")
    click.echo(f"{len(results) - len(failed)} passed, {len(failed)} failed")
    sys.exit(EXIT_FINDINGS if failed else EXIT_CLEAN)
