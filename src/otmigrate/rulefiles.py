"""Rule files: loading, validation, and the per-file expansion of legacy module names.

A rule file is an ast-grep rule file (`id`, `language`, `rule`, `constraints`, `transform`, `utils`,
`fix`, `message`, `severity`, `note`, `url`) that `ast-grep scan --rule` runs as it is: otmigrate's own
keys (`library`, `safety`, `handler`, `imports`, `symbol`, `examples`) live under ast-grep's free-form
`metadata:`. Older files with those keys at the top level still load. docs/writing-rules.md describes it.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass, field
from fnmatch import fnmatchcase
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

from otmigrate.languages import LANGUAGES, LIBRARIES, Binding, Language

if TYPE_CHECKING:
    from ast_grep_py import SgNode

SAFETIES = ("safe", "unsafe", "manual")
_AST_GREP_KEYS = {
    "id",
    "language",
    "rule",
    "constraints",
    "transform",
    "utils",
    "fix",
    "message",
    "severity",
    "note",
    "url",
    "metadata",
}
_OTMIGRATE_KEYS = {"library", "safety", "handler", "imports", "symbol", "examples"}
_EXAMPLE_KEYS = {"before", "after", "match", "no_match"}
_RELATIONAL_KEYS = ("any", "all", "not", "has", "inside", "follows", "precedes")
_MAX_SPELLINGS = 16
_NEVER = {"regex": "a^"}  # a rule that matches nothing: the file lacks the module the pattern names


class RuleFileError(Exception):
    """A malformed rule file, phrased as `path:line: what is wrong`."""


@dataclass(frozen=True)
class Example:
    before: str | None = None
    after: str | None = None
    match: str | None = None
    no_match: str | None = None
    line: int = 0


@dataclass
class Rule:
    id: str
    language: Language
    library: str
    safety: str | None  # safe | unsafe | manual; None for a rule that only detects
    message: str
    config: dict[str, Any]  # what ast-grep matches with: rule, constraints, transform, utils
    fix: str | None = None
    handler: str | None = None
    imports: list[str] = field(default_factory=list)
    symbol: str | None = None
    note: str | None = None
    examples: list[Example] = field(default_factory=list)
    path: Path = Path()
    line: int = 0
    expanded: dict[tuple[Binding, ...], dict[str, Any]] = field(
        default_factory=dict, repr=False, compare=False
    )

    @property
    def action(self) -> str:
        """fix (a template), handler (a programmatic transform), manual, or detect (no rewrite yet)."""
        if self.safety == "manual":
            return "manual"
        if self.fix is not None:
            return "fix"
        if self.handler is not None:
            return "handler"
        return "detect"

    @property
    def fix_class(self) -> str:
        """The `fix` field of a scan usage: safe | unsafe | manual | none."""
        return "none" if self.action == "detect" else str(self.safety)

    @property
    def display_symbol(self) -> str:
        """What scan reports: the `symbol:` key, else the first legacy name the pattern uses, else the id."""
        if self.symbol:
            return self.symbol
        imports = self.language.part("imports")
        if imports is not None:
            found = _qualified_name_regex(tuple(imports.CANONICAL)).search(str(self.config.get("rule")))
            if found:
                return found.group(0)
        return self.id

    @property
    def location(self) -> str:
        return f"{self.path}:{self.line}"


def external_rule_files(rules: list[Rule]) -> list[Path]:
    """The rule files a run loaded from outside the bundle: their `fix:` writes into the user's code."""
    bundle = bundled_rules_dir().resolve()
    return sorted({r.path for r in rules if not r.path.resolve().is_relative_to(bundle)})


def bundled_rules_dir() -> Path:
    """Rules ship inside the wheel as otmigrate/rules; in a source checkout they are at the top."""
    installed = Path(__file__).parent / "rules"
    return installed if installed.is_dir() else Path(__file__).resolve().parents[2] / "rules"


def load_rules(extra_dirs: list[Path] | None = None, *, bundled: bool = True) -> list[Rule]:
    """Every rule in the bundled directory and in `extra_dirs`, in a stable order; ids must be unique."""
    dirs = ([bundled_rules_dir()] if bundled else []) + list(extra_dirs or [])
    rules: list[Rule] = []
    seen: dict[str, Rule] = {}
    for folder in dirs:
        if not folder.is_dir():
            raise RuleFileError(f"{folder}: rule directory does not exist")
        for path in sorted(folder.rglob("*.yml")) + sorted(folder.rglob("*.yaml")):
            for rule in load_rule_file(path):
                if rule.id in seen:
                    raise RuleFileError(
                        f"{rule.location}: duplicate rule id '{rule.id}' (first at {seen[rule.id].location})"
                    )
                seen[rule.id] = rule
                rules.append(rule)
    return rules


def load_rule_file(path: Path) -> list[Rule]:
    """The rules in one YAML file. A hostile file (recursive or exploding aliases, deep nesting, Python
    tags, wrong types) is a RuleFileError naming its line, never a crash: the node graph is checked
    before anything is built from it."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise RuleFileError(f"{path}:1: cannot read: {exc}") from None
    try:
        nodes = list(yaml.compose_all(text, Loader=yaml.SafeLoader))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else 1
        problem = getattr(exc, "problem", None) or str(exc)
        raise RuleFileError(f"{path}:{line}: invalid YAML: {problem}") from None
    except RecursionError:
        raise RuleFileError(f"{path}:1: invalid YAML: nested too deeply") from None
    rules = []
    for node in nodes:
        if node is None:
            continue
        line = node.start_mark.line + 1
        _check_node_graph(node, path)
        if not isinstance(node, yaml.MappingNode):
            raise RuleFileError(f"{path}:{line}: a rule must be a mapping")
        try:
            data = yaml.SafeLoader(text).construct_document(node)
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None) or node.start_mark
            raise RuleFileError(f"{path}:{mark.line + 1}: {getattr(exc, 'problem', exc)}") from None
        key_lines = {k.value: k.start_mark.line + 1 for k, _ in node.value if isinstance(k, yaml.ScalarNode)}
        for key, value in node.value:
            if getattr(key, "value", None) == "metadata" and isinstance(value, yaml.MappingNode):
                key_lines |= {
                    k.value: k.start_mark.line + 1 for k, _ in value.value if isinstance(k, yaml.ScalarNode)
                }
        rules.append(_build_rule(_lift_metadata(data, path, line, key_lines), path, line, key_lines))
    return rules


def _key_lines(node: yaml.MappingNode) -> dict[str, int]:
    return {k.value: k.start_mark.line + 1 for k, _ in node.value if isinstance(k, yaml.ScalarNode)}


def _lift_metadata(data: dict[str, Any], path: Path, line: int, key_lines: dict[str, int]) -> dict[str, Any]:
    """otmigrate's keys from under `metadata:` (where ast-grep lets them be) up beside ast-grep's own; the
    older form, with them at the top level, means the same."""
    metadata = data.get("metadata")
    if metadata is None:
        return data
    if not isinstance(metadata, dict):
        raise RuleFileError(f"{path}:{key_lines.get('metadata', line)}: 'metadata' must be a mapping")
    for key in metadata:
        where = f"{path}:{key_lines.get(str(key), line)}"
        if key not in _OTMIGRATE_KEYS:
            raise RuleFileError(
                f"{where}: unknown key 'metadata.{key}' ({', '.join(sorted(_OTMIGRATE_KEYS))})"
            )
        if key in data:
            raise RuleFileError(f"{where}: '{key}' is both at the top level and under 'metadata'")
    return {**{k: v for k, v in data.items() if k != "metadata"}, **metadata}


_MAX_YAML_NODES = 20_000  # with aliases expanded; the largest bundled rule has a few hundred
_MAX_YAML_DEPTH = 64


def _check_node_graph(root: yaml.Node, path: Path) -> None:
    """Walk the composed YAML as it would be built (aliases expanded), without recursion: refuse a cycle,
    an expansion past _MAX_YAML_NODES, nesting past _MAX_YAML_DEPTH and any non-standard tag."""
    on_path: set[int] = set()
    stack: list[tuple[yaml.Node, int, bool]] = [(root, 0, False)]
    seen = 0
    while stack:
        node, depth, leaving = stack.pop()
        if leaving:
            on_path.discard(id(node))
            continue
        line = node.start_mark.line + 1
        if id(node) in on_path:
            raise RuleFileError(f"{path}:{line}: recursive YAML alias")
        seen += 1
        if seen > _MAX_YAML_NODES:
            raise RuleFileError(
                f"{path}:1: too many YAML nodes once aliases are expanded (> {_MAX_YAML_NODES:,})"
            )
        if depth > _MAX_YAML_DEPTH:
            raise RuleFileError(f"{path}:{line}: invalid YAML: nested too deeply")
        if not node.tag.startswith("tag:yaml.org,2002:") or "python/" in node.tag:
            raise RuleFileError(f"{path}:{line}: unsupported YAML tag '{node.tag}'")
        if isinstance(node, yaml.ScalarNode):
            continue
        on_path.add(id(node))
        stack.append((node, depth, True))
        children = (
            node.value if isinstance(node, yaml.SequenceNode) else [n for pair in node.value for n in pair]
        )
        stack.extend((child, depth + 1, False) for child in reversed(children))


def _build_rule(data: dict[str, Any], path: Path, line: int, key_lines: dict[str, int]) -> Rule:
    def fail(key: str | None, message: str) -> RuleFileError:
        where = key_lines.get(key, line) if key else line
        return RuleFileError(f"{path}:{where}: {message}")

    unknown = set(data) - _AST_GREP_KEYS - _OTMIGRATE_KEYS
    if unknown:
        key = sorted(unknown)[0]
        raise fail(key, f"unknown key '{key}'")
    for key in ("id", "language", "library", "message", "rule"):
        if key not in data:
            raise fail(None, f"missing required key '{key}'")
    rule_id = data["id"]
    if not isinstance(rule_id, str) or not re.fullmatch(r"[a-z0-9][a-z0-9-]*", rule_id):
        raise fail("id", "'id' must be lower-case words joined by '-'")
    language = LANGUAGES.get(str(data["language"]).lower())
    if language is None:
        raise fail("language", f"unknown language '{data['language']}' (python, go, javascript)")
    if data["library"] not in LIBRARIES:
        raise fail("library", f"unknown library '{data['library']}' ({', '.join(LIBRARIES)})")
    safety = data.get("safety")
    if safety is not None and safety not in SAFETIES:
        raise fail("safety", f"'safety' must be one of {', '.join(SAFETIES)}")
    fix, handler = data.get("fix"), data.get("handler")
    if fix is not None and not isinstance(fix, str):
        raise fail("fix", "'fix' must be a string template")
    if handler is not None and not isinstance(handler, str):
        raise fail("handler", "'handler' must be the name of a transform")
    if fix is not None and handler is not None:
        raise fail("handler", "a rule has either 'fix' or 'handler', not both")
    if (fix is not None or handler is not None) and safety is None:
        raise fail(None, "a rule that rewrites needs 'safety: safe' or 'safety: unsafe'")
    if safety == "manual" and (fix is not None or handler is not None):
        raise fail("safety", "a manual rule is never applied, so it has no 'fix' or 'handler'")
    if not isinstance(data["rule"], dict):
        raise fail("rule", "'rule' must be a mapping (an ast-grep rule)")
    imports = data.get("imports", [])
    if not isinstance(imports, list) or not all(isinstance(i, str) for i in imports):
        raise fail("imports", "'imports' must be a list of strings ('module:name' or 'module')")
    for key in ("symbol", "note", "url"):
        if data.get(key) is not None and not isinstance(data[key], str):
            raise fail(key, f"'{key}' must be a string")
    for key in ("constraints", "transform", "utils"):
        if key in data and not isinstance(data[key], dict):
            raise fail(key, f"'{key}' must be a mapping")
    for key in ("rule", "constraints", "utils"):
        problem = _pattern_problem(data.get(key))
        if problem is not None:
            raise fail(key, problem)
    config = {key: data[key] for key in ("rule", "constraints", "transform", "utils") if key in data}
    if language.name == "go":
        config = _wrap_go_expressions(config)
    _check_matcher(config, language, fail)
    rule = Rule(
        id=rule_id,
        language=language,
        library=data["library"],
        safety=safety,
        message=str(data["message"]),
        config=config,
        fix=fix,
        handler=handler,
        imports=imports,
        symbol=data.get("symbol"),
        note=data.get("note"),
        path=path,
        line=line,
    )
    rule.examples = _build_examples(data.get("examples"), rule, fail, key_lines)
    return rule


def _pattern_problem(node: Any) -> str | None:
    """What is wrong with the first `pattern:` that is neither a string nor {context: string, ...}."""
    stack = [node]
    while stack:
        item = stack.pop()
        if isinstance(item, list):
            stack.extend(item)
        elif isinstance(item, dict):
            for key, value in item.items():
                if key == "pattern":
                    if isinstance(value, dict):
                        if not isinstance(value.get("context"), str):
                            return "a 'pattern' mapping needs 'context' (a string of code)"
                    elif not isinstance(value, str):
                        return f"'pattern' must be a string of code, not {type(value).__name__}"
                else:
                    stack.append(value)
    return None


_GO_STATEMENT = re.compile(r"^\s*(defer|go|if|for|return|func|switch|select|var|const)\b|:=|^[^(]*=")


def _wrap_go_expressions(node: Any) -> Any:
    """Give Go call and composite-literal patterns an expression context.

    tree-sitter-go cannot tell `f($X)` from a conversion, `f($$$A)` from a declaration, or `pkg.Name`
    from a type when it stands alone, so such patterns silently match nothing; inside `_ = ...` they
    parse as expressions.
    """
    if isinstance(node, list):
        return [_wrap_go_expressions(item) for item in node]
    if not isinstance(node, dict):
        return node
    out = {}
    for key, value in node.items():
        if key == "pattern" and isinstance(value, str) and not _GO_STATEMENT.search(value):
            stripped = value.strip()
            selector = {")": "call_expression", "}": "composite_literal"}.get(stripped[-1:])
            if selector is None and re.fullmatch(r"[\w$]+(\.[\w$]+)+", stripped):
                selector = "selector_expression"  # alone, `pkg.Name` parses as a qualified type
            out[key] = (
                {"context": f"func _() {{ _ = {stripped} }}", "selector": selector} if selector else value
            )
        elif key in ("fix", "transform"):
            out[key] = value
        else:
            out[key] = _wrap_go_expressions(value)
    return out


def _check_matcher(config: dict[str, Any], language: Language, fail: Any) -> None:
    """Let ast-grep compile the rule once, so a bad rule fails at load time with its location."""
    from ast_grep_py import SgRoot

    try:
        SgRoot("", language.grep_language).root().find_all(config)  # type: ignore[arg-type]
    except (RuntimeError, ValueError, TypeError, KeyError) as exc:
        first_line = str(exc).strip().splitlines()
        detail = " ".join(line.strip() for line in first_line[:4] if line.strip() and "Stack" not in line)
        raise fail("rule", f"ast-grep cannot use this rule: {detail}") from None


def _build_examples(raw: Any, rule: Rule, fail: Any, key_lines: dict[str, int]) -> list[Example]:
    if not raw:
        raise fail(None, f"rule '{rule.id}' has no examples; every rule carries its own examples")
    if not isinstance(raw, list):
        raise fail("examples", "'examples' must be a list")
    examples = []
    for item in raw:
        if not isinstance(item, dict) or not item or set(item) - _EXAMPLE_KEYS:
            raise fail("examples", "an example is a mapping with 'before'+'after', 'match' or 'no_match'")
        if ("before" in item) != ("after" in item):
            raise fail("examples", "'before' and 'after' go together")
        if not all(isinstance(v, str) for v in item.values()):
            raise fail("examples", "example code must be strings")
        examples.append(Example(line=key_lines.get("examples", rule.line), **item))
    if not any(e.before is not None or e.match is not None for e in examples):
        raise fail(
            "examples", "at least one example must show the rule matching ('before'/'after' or 'match')"
        )
    if rule.action in ("fix", "handler", "manual") and not any(e.before is not None for e in examples):
        raise fail("examples", "a rule that rewrites or adds a TODO needs a 'before'/'after' example")
    return examples


def check_handlers(rules: list[Rule]) -> None:
    """Every `handler:` must name a transform its language provides."""
    for rule in rules:
        if rule.handler is None:
            continue
        transforms = rule.language.part("transforms")
        handlers = getattr(transforms, "HANDLERS", {}) if transforms else {}
        if rule.handler not in handlers:
            raise RuleFileError(f"{rule.location}: unknown handler '{rule.handler}' for {rule.language.name}")


def selected(rule_id: str, select: list[str], ignore: list[str]) -> bool:
    """ruff-style selection by prefix or glob; OTM codes belong to lint and are ignored here."""
    select = [s for s in select if not s.upper().startswith("OTM")]
    ignore = [s for s in ignore if not s.upper().startswith("OTM")]

    def hit(patterns: list[str]) -> bool:
        return any(rule_id.startswith(p) or fnmatchcase(rule_id, p) for p in patterns)

    return (not select or hit(select)) and not hit(ignore)


# --- per-file expansion of legacy module names -------------------------------------------------------


def find_matches(rule: Rule, root: SgNode, bindings: tuple[Binding, ...]) -> list[SgNode]:
    """Where `rule` matches: nothing unless the file imports the rule's library, spelled as the file does."""
    if rule.library not in {b.library for b in bindings if b.is_legacy}:
        return []
    return root.find_all(expand_config(rule, bindings))  # type: ignore[arg-type]


def expand_config(rule: Rule, bindings: tuple[Binding, ...]) -> dict[str, Any]:
    """The rule's matcher with canonical module names spelled as this file spells them."""
    key = tuple(b for b in bindings if b.is_legacy)
    cached = rule.expanded.get(key)
    if cached is None:
        imports = rule.language.part("imports")
        assert imports is not None
        qualified = _qualified_name_regex(tuple(imports.CANONICAL))

        def spell(pattern: str) -> list[str]:
            occurrences = list(qualified.finditer(pattern))
            if not occurrences:
                return [pattern]
            choices = [_spellings(m.group(0), key, imports.canonical_name) for m in occurrences]
            variants = []
            for combo in itertools.islice(itertools.product(*choices), _MAX_SPELLINGS):
                out, last = [], 0
                for match, spelling in zip(occurrences, combo, strict=True):
                    out += [pattern[last : match.start()], spelling]
                    last = match.end()
                variants.append("".join(out) + pattern[last:])
            return variants

        cached = rule.expanded[key] = _walk(rule.config, spell)
    return cached


def _walk(node: Any, spell: Any) -> Any:
    if isinstance(node, list):
        return [_walk(item, spell) for item in node]
    if not isinstance(node, dict):
        return node
    out: dict[str, Any] = {}
    alternatives: list[dict[str, Any]] | None = None
    for key, value in node.items():
        if key == "pattern":
            text = value["context"] if isinstance(value, dict) else value
            variants = spell(text)
            as_rules = [
                {"pattern": {**value, "context": v} if isinstance(value, dict) else v} for v in variants
            ]
            if len(as_rules) == 1:
                out["pattern"] = as_rules[0]["pattern"]
            else:
                alternatives = as_rules or [_NEVER]
        elif key in ("fix", "transform"):
            out[key] = value
        else:
            out[key] = _walk(value, spell)
    if alternatives is not None:
        if len(alternatives) == 1:
            out.update(alternatives[0])
        else:
            out.setdefault("all", []).append({"any": alternatives})
    return out


@lru_cache(maxsize=8)
def _qualified_name_regex(roots: tuple[str, ...]) -> re.Pattern[str]:
    names = "|".join(re.escape(r) for r in sorted(roots, key=len, reverse=True))
    return re.compile(rf"(?<![\w$.])(?:{names})(?:\.[A-Za-z_]\w*)*")


def _spellings(qualified: str, bindings: tuple[Binding, ...], canonical_name: Any) -> list[str]:
    spellings: list[str] = []
    for binding in bindings:
        target = canonical_name(binding.module) + (f".{binding.member}" if binding.member else "")
        if qualified == target:
            spelling = binding.local
        elif qualified.startswith(target + "."):
            spelling = binding.local + qualified[len(target) :]
        else:
            continue
        if spelling not in spellings:
            spellings.append(spelling)
    return spellings
