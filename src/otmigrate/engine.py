"""The per-file rewrite: rules and transforms applied to a fixpoint, then validated.

Every pass is source → source. Declarative rules run first (their overlapping edits resolved
deterministically), then the programmatic handlers the matching rules name, then TODO comments for
manual rules, then the language's final passes (imports). Passes repeat until nothing changes; a file
that does not settle, or whose result would not parse, is left exactly as it was.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from functools import cached_property
from typing import Any

from ast_grep_py import SgNode, SgRoot

from otmigrate.config import Settings
from otmigrate.languages import Binding, Language
from otmigrate.rulefiles import Rule, find_matches

MAX_PASSES = 8
_METAVARIABLE = re.compile(r"\$\$\$([A-Z_][A-Z0-9_]*)|\$([A-Z_][A-Z0-9_]*)")


@dataclass(frozen=True)
class Change:
    """One line of the rewrite report."""

    kind: str  # migrated | manual | unsafe (a fix that needs --unsafe-fixes) | bridged
    rule: str
    line: int
    message: str


@dataclass
class TransformContext:
    """What a handler or final pass gets; it returns new source or None."""

    source: str
    path: str
    language: Language
    settings: Settings
    unsafe: bool
    imports_needed: list[str]  # the `imports:` of every rule applied to this file so far
    changes: list[Change] = field(default_factory=list)
    rules: tuple[str, ...] = ()  # ids of the matched rules that named the running handler
    project: Any = None  # the language's project model (otmigrate.project), None when run on one file

    @cached_property
    def root(self) -> SgNode:
        return SgRoot(self.source, self.language.grep_language).root()

    @cached_property
    def bindings(self) -> tuple[Binding, ...]:
        return find_bindings(self.language, self.root)

    def with_source(self, source: str, rules: tuple[str, ...] = ()) -> TransformContext:
        """The same file at a later step (another pass, handler or final pass): what it reports goes to
        the same change list, its syntax tree is parsed anew."""
        return replace(self, source=source, rules=rules)

    def migrated(self, line: int, rule_id: str, message: str) -> None:
        self.changes.append(Change("migrated", rule_id, line, message))

    def manual(self, line: int, rule_id: str, reason: str) -> None:
        self.changes.append(Change("manual", rule_id, line, reason))

    def unsafe_fix(self, line: int, rule_id: str, message: str) -> None:
        """A fix held back because it needs `--unsafe-fixes`."""
        self.changes.append(Change("unsafe", rule_id, line, message))

    def bridged(self, line: int, rule_id: str, library: str) -> None:
        """Code kept working through the official OTel bridge/shim at a boundary with `library` (a
        third-party library that takes a legacy tracer or span), to remove when that library is replaced."""
        self.changes.append(Change("bridged", rule_id, line, f"remove when {library} is replaced"))


Handler = Callable[[TransformContext], "str | None"]


@dataclass
class Outcome:
    text: str  # the rewritten source, or the input when nothing changed or the rewrite was refused
    changes: list[Change]
    error: str | None = None  # why the file was left untouched


@dataclass(frozen=True)
class _Edit:
    start: int
    end: int
    text: str
    order: int  # the rule's position, for deterministic tie-breaking
    rule: Rule
    line: int


def find_bindings(language: Language, root: SgNode) -> tuple[Binding, ...]:
    imports = language.part("imports")
    return tuple(imports.find_bindings(root)) if imports is not None else ()


def syntax_error(text: str, language: Language) -> str | None:
    """A one-line description of the first syntax error, or None when the source parses cleanly."""
    error = SgRoot(text, language.grep_language).root().find(kind="ERROR")
    if error is not None:
        return f"syntax error at line {error.range().start.line + 1}"
    validate = language.part("validate")
    return validate.syntax_error(text) if validate is not None else None


def rewrite_source(
    text: str,
    path: str,
    language: Language,
    rules: list[Rule],
    settings: Settings,
    *,
    unsafe: bool = False,
    project: Any = None,
) -> Outcome:
    """Migrate one file's source. Rules of other languages are ignored."""
    rules = [rule for rule in rules if rule.language.name == language.name]
    problem = syntax_error(text, language)
    if problem is not None:
        return Outcome(text, [], f"{problem}; not rewritten")
    transforms = language.part("transforms")
    handlers: dict[str, Handler] = getattr(transforms, "HANDLERS", {})
    final_passes: list[Handler] = getattr(transforms, "FINAL_PASSES", [])
    changes: list[Change] = []
    anchors: list[str] = []  # the source each change's line refers to, index for index
    imports_needed: list[str] = []
    current = text

    def outcome(result: str, error: str | None = None) -> Outcome:
        return Outcome(result, _reanchor(changes, anchors, text), error)

    leave_whole: Handler | None = getattr(transforms, "LEAVE_WHOLE", None)
    if leave_whole is not None:  # the project model decided the file is not migrated (it may get TODOs)
        held = leave_whole(
            TransformContext(text, path, language, settings, unsafe, [], changes, project=project)
        )
        if held is not None:
            return Outcome(held, changes)

    for number in range(MAX_PASSES):
        ctx = TransformContext(
            current, path, language, settings, unsafe, imports_needed, changes, project=project
        )
        try:
            new = _one_pass(ctx, rules, handlers, anchors, first=number == 0)
            if new != current:  # final passes are idempotent: `current` has had them already
                for final in final_passes:
                    ctx = ctx.with_source(new)
                    new = final(ctx) or new
                    _anchor(anchors, changes, ctx.source)
        except Exception as exc:  # a transform's bug must cost one file, never the run
            _anchor(anchors, changes, current)
            broken = syntax_error(ctx.source, language) if ctx.source != text else None
            if broken is not None:  # it failed on what an earlier pass made of the file: say that
                problem = in_original_lines(broken, ctx.source, text)
                return outcome(text, f"the rewritten file would not parse ({problem}); not rewritten")
            reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            return outcome(text, f"a transform failed ({type(exc).__name__}: {reason}); not rewritten")
        if new == current:
            break
        current = new
    else:
        return outcome(text, f"the rewrite did not settle after {MAX_PASSES} passes; not rewritten")
    if current != text:
        problem = syntax_error(current, language)
        if problem is not None:
            problem = in_original_lines(problem, current, text)
            return outcome(text, f"the rewritten file would not parse ({problem}); not rewritten")
    return outcome(current)


def _anchor(anchors: list[str], changes: list[Change], source: str) -> None:
    """Record that the changes reported since the last call refer to lines of `source`."""
    anchors.extend([source] * (len(changes) - len(anchors)))


def _reanchor(changes: list[Change], anchors: list[str], original: str) -> list[Change]:
    """Report every change at its line in the user's file, not in the intermediate source a later
    pass or handler saw. Lines inside rewritten text map to the start of what they replaced."""
    maps: dict[int, list[int]] = {}
    out = []
    for change, source in zip(changes, anchors, strict=True):
        if source is original:
            out.append(change)
            continue
        key = id(source)
        if key not in maps:
            maps[key] = line_map(source, original)
        mapped = maps[key]
        index = min(max(change.line - 1, 0), len(mapped) - 1)
        out.append(replace(change, line=mapped[index]))
    return out


_LINE_REFERENCE = re.compile(r"\bline (\d+)|^(\d+)(?=:\d+:)")


def in_original_lines(problem: str, derived: str, original: str) -> str:
    """`problem`, about a line of the rewritten text (`line N`, or gofmt's `N:C:`), told as the line of the
    user's file it came from: a refused file's error points at code the user can find."""
    mapped = line_map(derived, original)

    def user_line(found: re.Match[str]) -> str:
        number = int(found.group(1) or found.group(2))
        line = mapped[min(max(number - 1, 0), len(mapped) - 1)]
        return f"line {line}" if found.group(1) else str(line)

    return _LINE_REFERENCE.sub(user_line, problem, count=1)


def line_map(derived: str, original: str) -> list[int]:
    """For each line of `derived` (0-based index), its 1-based line in `original`: how a transform that
    reshapes code before reporting on it finds the user's line."""
    old, new = original.splitlines(), derived.splitlines() or [""]
    mapped = [1] * len(new)
    matcher = difflib.SequenceMatcher(None, new, old, autojunk=False)
    for tag, j1, j2, i1, _ in matcher.get_opcodes():
        for j in range(j1, j2):
            at = i1 + (j - j1) if tag == "equal" else i1
            mapped[j] = min(at, max(len(old) - 1, 0)) + 1
    return mapped


def _one_pass(
    ctx: TransformContext, rules: list[Rule], handlers: dict[str, Handler], anchors: list[str], *, first: bool
) -> str:
    source = ctx.source
    edits: list[_Edit] = []
    wanted: dict[str, list[str]] = {}  # handler → ids of the matched rules that name it
    for order, rule in enumerate(rules):
        matches = find_matches(rule, ctx.root, ctx.bindings) if rule.action != "detect" else []
        if not matches:
            continue
        if rule.safety == "unsafe" and not ctx.unsafe:
            if first:
                for match in matches:
                    ctx.changes.append(Change("unsafe", rule.id, _line(match), rule.message))
            continue
        if rule.action == "fix":
            edits += [_fix_edit(rule, order, match, source) for match in matches]
        elif rule.action == "handler":
            wanted.setdefault(str(rule.handler), []).append(rule.id)
        else:
            for match in matches:
                edit = _todo_edit(rule, order, match, source, ctx.language.comment)
                if edit is not None:
                    edits.append(edit)
                if first:
                    ctx.changes.append(Change("manual", rule.id, _line(match), rule.message))
    text = _apply(source, edits, ctx)
    _anchor(anchors, ctx.changes, source)
    for name, rule_ids in wanted.items():
        sub = ctx.with_source(text, tuple(rule_ids))
        text = handlers[name](sub) or text
        _anchor(anchors, ctx.changes, sub.source)
    return text


def _line(node: SgNode) -> int:
    return node.range().start.line + 1


def _fix_edit(rule: Rule, order: int, match: SgNode, source: str) -> _Edit:
    span = match.range()
    return _Edit(span.start.index, span.end.index, render_fix(rule, match, source), order, rule, _line(match))


def render_fix(rule: Rule, match: SgNode, source: str) -> str:
    """ast-grep's fix template: `$X` is a capture (or its transform), `$$$X` a captured run."""
    transformed = set(rule.config.get("transform", {}) or {})

    def substitute(found: re.Match[str]) -> str:
        if found.group(1):
            nodes = match.get_multiple_matches(found.group(1))
            if not nodes:
                return ""
            return source[nodes[0].range().start.index : nodes[-1].range().end.index]
        name = found.group(2)
        if name in transformed:
            value = match.get_transformed(name)
            if value is not None:
                return value
        node = match.get_match(name)
        return node.text() if node is not None else ""  # an unmatched capture renders empty

    text = _METAVARIABLE.sub(substitute, str(rule.fix).rstrip("\n"))
    start = match.range().start.index
    line_start = source.rfind("\n", 0, start) + 1
    indent = re.match(r"[ \t]*", source[line_start:start]).group(0)  # type: ignore[union-attr]
    first, *rest = text.split("\n")
    return "\n".join([first, *(indent + line if line else line for line in rest)])


def _todo_edit(rule: Rule, order: int, match: SgNode, source: str, comment: str) -> _Edit | None:
    """`TODO(otmigrate): <reason>` on its own line above the match, once."""
    start = match.range().start.index
    line_start = source.rfind("\n", 0, start) + 1
    indent = re.match(r"[ \t]*", source[line_start:]).group(0)  # type: ignore[union-attr]
    todo = f"{comment} TODO(otmigrate): {rule.message}"
    previous_start = source.rfind("\n", 0, max(line_start - 1, 0)) + 1
    if line_start > 0 and todo in source[previous_start:line_start]:
        return None
    return _Edit(line_start, line_start, f"{indent}{todo}\n", order, rule, _line(match))


def _apply(source: str, edits: list[_Edit], ctx: TransformContext) -> str:
    """Apply the edits that do not overlap: earliest start first, then the outer one, then rule order."""
    accepted: list[_Edit] = []
    end = -1
    for edit in sorted(edits, key=lambda e: (e.start, -e.end, e.order)):
        if edit.start < end:
            continue  # overlaps an accepted edit; the next pass sees the result and may match again
        if edit.text == source[edit.start : edit.end]:
            continue
        accepted.append(edit)
        end = max(end, edit.end)
    out, last = [], 0
    for edit in accepted:
        out += [source[last : edit.start], edit.text]
        last = edit.end
        if edit.rule.action == "fix":
            ctx.migrated(edit.line, edit.rule.id, edit.rule.message)
            for spec in edit.rule.imports:
                if spec not in ctx.imports_needed:
                    ctx.imports_needed.append(spec)
    out.append(source[last:])
    return "".join(out)
