"""Intra-procedural "on all paths" analysis over the syntax tree, for all three languages.

A function body is lowered to a small structured IR (blocks, branches, loops, try/finally, exits,
defer, Python `with`), and a `Tracker` follows one resource (a span, a context token) along every
path: what starts it, what ends it, and what to say when an exit is reached with it still open.
The state on a path is a set of possibilities ("none" | "open" | "done"), so a join is a union and a
violation is an exit whose state may be "open" — a may-analysis like go vet's lostcancel.
Implicit exceptions are not modelled (every call may raise in Python/JS; no rule reports a span left
open by an exception);
an explicit `raise`/`throw` is an exit unless a `try` with handlers in the same function encloses it.
A Go `panic`/`os.Exit`/`goto` ends the path without a report.
"""

from __future__ import annotations

from collections.abc import Generator
from dataclasses import dataclass, field
from typing import Any

from ast_grep_py import SgNode

from otmigrate.lint.syntax import call_name, named

State = frozenset
NONE, OPEN, DONE = "none", "open", "done"
EMPTY: State = frozenset()


@dataclass
class Block:
    items: list
    node: SgNode | None = None


@dataclass
class Branch:
    arms: list[Block]
    exhaustive: bool
    is_switch: bool = False


@dataclass
class Loop:
    body: Block
    infinite: bool


@dataclass
class Try:
    body: Block
    handlers: list[Block]
    orelse: Block | None
    final: Block | None


@dataclass
class Exit:
    node: SgNode
    kind: str  # return | raise | panic


@dataclass
class Jump:
    kind: str  # break | continue


@dataclass
class Defer:
    node: SgNode


@dataclass
class With:
    items: SgNode
    body: Block


@dataclass
class Leaf:
    node: SgNode


# Lowering and analysis recurse as deep as the code nests, which real code can take past Python's stack
# (a span in a function with hundreds of nested blocks). So each recursive step is a generator that
# yields the step it needs done and receives its result: `_run` drives them with a heap stack.
Step = Generator[Any, Any, Any]


def _run(step: Step) -> Any:
    """The value `step` returns, running every step it yields (and theirs) without recursion."""
    stack, value = [step], None
    while stack:
        try:
            wanted = stack[-1].send(value)
        except StopIteration as done:
            stack.pop()
            value = done.value
            continue
        stack.append(wanted)
        value = None
    return value


# ---------------------------------------------------------------- lowering


def lower(body: SgNode, language: str) -> Block:
    return _run({"python": _py_block, "go": _go_block, "javascript": _js_block}[language](body))


def _py_block(node: SgNode | None) -> Step:
    if node is None:
        return Block([])
    items = []
    for statement in named(node):
        items.append((yield _py_stmt(statement)))
    return Block(items, node)


def _py_stmt(s: SgNode) -> Step:
    k = s.kind()
    if k == "if_statement":
        arms, exhaustive = [(yield _py_block(s.field("consequence")))], False
        for alt in named(s):
            if alt.kind() == "elif_clause":
                arms.append((yield _py_block(alt.field("consequence"))))
            elif alt.kind() == "else_clause":
                arms.append((yield _py_block(alt.field("body"))))
                exhaustive = True
        return Block([Leaf(s.field("condition")), Branch(arms, exhaustive)], s)
    if k in ("for_statement", "while_statement"):
        cond = s.field("condition")
        infinite = k == "while_statement" and cond is not None and cond.text() == "True"
        items = [Loop((yield _py_block(s.field("body"))), infinite)]
        alt = s.field("alternative")
        if alt is not None:
            items.append((yield _py_block(alt.field("body"))))
        return Block(items, s)
    if k == "try_statement":
        handlers, orelse, final = [], None, None
        for c in named(s):
            if c.kind() == "except_clause":
                handlers.append((yield _py_block(next((b for b in named(c) if b.kind() == "block"), None))))
            elif c.kind() == "else_clause":
                orelse = yield _py_block(c.field("body"))
            elif c.kind() == "finally_clause":
                final = yield _py_block(next((b for b in named(c) if b.kind() == "block"), None))
        return Try((yield _py_block(s.field("body"))), handlers, orelse, final)
    if k == "with_statement":
        clause = next((c for c in named(s) if c.kind() == "with_clause"), s)
        return With(clause, (yield _py_block(s.field("body"))))
    if k == "match_statement":
        body = s.field("body")
        cases = [c for c in named(body)] if body is not None else []
        arms = []
        for case in cases:
            if case.kind() == "case_clause":
                arms.append((yield _py_block(case.field("consequence"))))
        exhaustive = any(c.text().startswith("case _") for c in cases)
        return Branch(arms, exhaustive)
    if k == "return_statement":
        return Exit(s, "return")
    if k == "raise_statement":
        return Exit(s, "raise")
    if k in ("break_statement", "continue_statement"):
        return Jump(k.split("_")[0])
    return Leaf(s)


def _go_statements(node: SgNode | None) -> list[SgNode]:
    if node is None:
        return []
    out = []
    for c in named(node):
        out.extend(named(c) if c.kind() == "statement_list" else [c])
    return out


def _go_block(node: SgNode | None) -> Step:
    items = []
    for statement in _go_statements(node):
        items.append((yield _go_stmt(statement)))
    return Block(items, node)


_GO_NORETURN = ("panic(", "log.Fatal", "os.Exit(", "log.Panic")


def _go_stmt(s: SgNode) -> Step:
    k = s.kind()
    if k == "if_statement":
        items = []
        if s.field("initializer") is not None:
            items.append(Leaf(s.field("initializer")))
        arms = [(yield _go_block(s.field("consequence")))]
        alt = s.field("alternative")
        if alt is not None:
            arms.append(
                (yield _go_block(alt)) if alt.kind() == "block" else Block([(yield _go_stmt(alt))], alt)
            )
        items.append(Branch(arms, alt is not None))
        return Block(items, s)
    if k == "for_statement":
        header = [c for c in named(s) if c.kind() != "block"]
        return Loop((yield _go_block(s.field("body"))), infinite=not header)
    if k in ("expression_switch_statement", "type_switch_statement", "select_statement"):
        arms, exhaustive = [], False
        for case in named(s):
            if case.kind() in ("expression_case", "type_case", "communication_case", "default_case"):
                exhaustive = exhaustive or case.kind() == "default_case"
                stmts = [
                    c
                    for c in named(case)
                    if c.kind() not in ("expression_list", "type_list", "send_statement", "receive_statement")
                ]
                if case.kind() == "communication_case" and named(case):
                    stmts = named(case)[1:]
                flat = []
                for c in stmts:
                    flat.extend(named(c) if c.kind() == "statement_list" else [c])
                lowered = []
                for c in flat:
                    lowered.append((yield _go_stmt(c)))
                arms.append(Block(lowered, case))
        return Branch(arms, exhaustive, is_switch=True)
    if k == "block":
        return (yield _go_block(s))
    if k == "labeled_statement":
        inner = [c for c in named(s) if c.kind() != "label_name"]
        return (yield _go_stmt(inner[0])) if inner else Leaf(s)
    if k == "return_statement":
        return Exit(s, "return")
    if k == "goto_statement":
        return Exit(s, "panic")
    if k in ("break_statement", "continue_statement"):
        return Jump(k.split("_")[0])
    if k == "defer_statement":
        return Defer(named(s)[0] if named(s) else s)
    if k == "expression_statement" and s.text().startswith(_GO_NORETURN):
        return Exit(s, "panic")
    return Leaf(s)


def _js_block(node: SgNode | None) -> Step:
    if node is None:
        return Block([])
    if node.kind() != "statement_block":
        return Block([(yield _js_stmt(node))], node)
    items = []
    for statement in named(node):
        items.append((yield _js_stmt(statement)))
    return Block(items, node)


# Array methods that call their callback before they return: a `throw` in the callback leaves the caller.
_SYNC_CALLBACKS = {"forEach", "map", "flatMap", "filter", "reduce", "some", "every", "find", "sort"}
_JS_FUNCTIONS = {"arrow_function", "function_expression", "function"}


def _js_callback_throw(s: SgNode) -> SgNode | None:
    """A `throw` that escapes a synchronous callback called by statement `s` (`items.forEach(i => {throw
    ...})`): the statement may raise there."""
    for throw in s.find_all(kind="throw_statement"):
        callback = next((a for a in throw.ancestors() if a.kind() in _JS_FUNCTIONS), None)
        if callback is None or callback.range().start.index < s.range().start.index:
            continue  # not in a callback that this statement passes
        arguments = callback.parent()
        call = arguments.parent() if arguments is not None and arguments.kind() == "arguments" else None
        if call is None or call.kind() != "call_expression" or call_name(call)[1] not in _SYNC_CALLBACKS:
            continue
        inside = [a for a in throw.ancestors() if a.range().start.index > callback.range().start.index]
        if not any(_js_catches(a, throw) for a in inside):
            return throw
    return None


def _js_catches(node: SgNode, throw: SgNode) -> bool:
    """Is `node` a try statement with a catch whose body holds `throw` (a throw in the catch escapes)?"""
    body = node.field("body") if node.kind() == "try_statement" else None
    return (
        body is not None
        and node.field("handler") is not None
        and body.range().start.index <= throw.range().start.index < body.range().end.index
    )


def _js_stmt(s: SgNode) -> Step:
    k = s.kind()
    if k in ("expression_statement", "lexical_declaration", "variable_declaration") and "throw" in s.text():
        throw = _js_callback_throw(s)
        if throw is not None:
            return Block([Leaf(s), Branch([Block([Exit(throw, "raise")])], exhaustive=False)], s)
    if k == "statement_block":
        return (yield _js_block(s))
    if k == "if_statement":
        arms = [(yield _js_block(s.field("consequence")))]
        alt = s.field("alternative")
        if alt is not None:
            inner = named(alt)
            arms.append((yield _js_block(inner[0])) if inner else Block([]))
        return Block([Leaf(s.field("condition")), Branch(arms, alt is not None)], s)
    if k in ("for_statement", "for_in_statement", "while_statement", "do_statement"):
        cond = s.field("condition")
        infinite = (k == "while_statement" and cond is not None and cond.text().strip("()") == "true") or (
            k == "for_statement" and cond is not None and cond.text().strip() == ";"
        )
        return Loop((yield _js_block(s.field("body"))), infinite)
    if k == "try_statement":
        handler, final = s.field("handler"), s.field("finalizer")
        return Try(
            (yield _js_block(s.field("body"))),
            [(yield _js_block(handler.field("body")))] if handler is not None else [],
            None,
            (yield _js_block(final.field("body"))) if final is not None else None,
        )
    if k == "switch_statement":
        body = s.field("body")
        arms, exhaustive = [], False
        for case in named(body) if body is not None else []:
            exhaustive = exhaustive or case.kind() == "switch_default"
            value = case.field("value")
            lowered = []
            for c in named(case):
                if value is None or c != value:
                    lowered.append((yield _js_stmt(c)))
            arms.append(Block(lowered, case))
        return Branch(arms, exhaustive, is_switch=True)
    if k == "labeled_statement":
        body = s.field("body")
        return (yield _js_stmt(body)) if body is not None else Leaf(s)
    if k == "return_statement":
        return Exit(s, "return")
    if k == "throw_statement":
        return Exit(s, "raise")
    if k in ("break_statement", "continue_statement"):
        return Jump(k.split("_")[0])
    return Leaf(s)


# ---------------------------------------------------------------- analysis


class Tracker:
    """What one analysis tracks. Subclasses override the hooks; the engine calls them along each path."""

    def transfer(self, node: SgNode, state: State) -> State:
        return state

    def defer_releases(self, node: SgNode) -> bool:
        return False

    def with_releases(self, items: SgNode) -> bool:
        return False

    def on_exit(self, node: SgNode, kind: str, state: State, guarded: bool) -> None:
        """Called when a path reaches an exit (`kind` "return", "raise" or "end" of function)."""

    def on_block_end(self, block: Block, state: State) -> State:
        return state


def release(state: State) -> State:
    return frozenset(DONE if s == OPEN else s for s in state)


@dataclass
class _Frame:
    breaks: set = field(default_factory=set)
    continues: set = field(default_factory=set)


class Engine:
    def __init__(self, tracker: Tracker):
        self.t = tracker
        self.frames: list[_Frame] = []
        self.seen: list[set] = []
        self.catching = 0  # inside a try body with handlers: a raise goes to the handler, not out

    def run(self, body: Block, fn_node: SgNode, start: State) -> None:
        out = _run(self.block(body, start, guarded=False))
        if out:
            self.t.on_exit(fn_node, "end", out, False)

    def block(self, b: Block, s: State, guarded: bool) -> Step:
        for item in b.items:
            if not s:
                break
            s = yield self.item(item, s, guarded)
            for acc in self.seen:
                acc.update(s)
        if s:
            s = self.t.on_block_end(b, s)
        return s

    def item(self, it, s: State, guarded: bool) -> Step:
        if isinstance(it, Leaf):
            return self.t.transfer(it.node, s) if it.node is not None else s
        if isinstance(it, Block):
            return (yield self.block(it, s, guarded))
        if isinstance(it, Defer):  # runs at every later exit: only whether it ends the resource matters
            return release(s) if self.t.defer_releases(it.node) else s
        if isinstance(it, Exit):
            s = self.t.transfer(it.node, s)
            if it.kind == "return" or (it.kind == "raise" and not self.catching):
                self.t.on_exit(it.node, it.kind, s, guarded)
            return EMPTY
        if isinstance(it, Jump):
            if self.frames:
                (self.frames[-1].breaks if it.kind == "break" else self.frames[-1].continues).update(s)
            return EMPTY
        if isinstance(it, Branch):
            if it.is_switch:
                self.frames.append(_Frame())
            out = set()
            for arm in it.arms:
                out |= yield self.block(arm, s, guarded)
            if not it.exhaustive:
                out |= s
            if it.is_switch:
                frame = self.frames.pop()
                out |= frame.breaks
                if self.frames:  # `continue` in a switch belongs to the enclosing loop
                    self.frames[-1].continues |= frame.continues
            return frozenset(out)
        if isinstance(it, Loop):
            entry = s
            frame = _Frame()
            for _ in range(4):
                self.frames.append(frame)
                out = yield self.block(it.body, entry, guarded)
                self.frames.pop()
                new_entry = entry | out | frozenset(frame.continues)
                if new_entry == entry:
                    break
                entry = new_entry
            return frozenset(frame.breaks) if it.infinite else entry | frozenset(frame.breaks)
        if isinstance(it, Try):
            final_releases = it.final is not None and OPEN not in (yield _probe(self.t, it.final))
            inner_guard = guarded or final_releases
            self.seen.append(set(s))
            self.catching += bool(it.handlers)
            out = set((yield self.block(it.body, s, inner_guard)))
            self.catching -= bool(it.handlers)
            during = frozenset(self.seen.pop())
            if it.orelse is not None and out:
                out = set((yield self.block(it.orelse, frozenset(out), inner_guard)))
            for h in it.handlers:
                out |= yield self.block(h, during, inner_guard)
            result = frozenset(out)
            if it.final is not None and result:
                result = yield self.block(it.final, result, guarded)
            return result
        if isinstance(it, With):
            releases = self.t.with_releases(it.items)
            s = self.t.transfer(it.items, s)
            out = yield self.block(it.body, s, guarded or releases)
            return release(out) if releases else out
        raise TypeError(it)


def _probe(tracker: Tracker, block: Block) -> Step:
    """Run a block from an open state without reporting: does it end the resource on every path?"""

    class Quiet(Tracker):
        def transfer(self, node, state):
            return tracker.transfer(node, state)

        def defer_releases(self, node):
            return tracker.defer_releases(node)

        def with_releases(self, items):
            return tracker.with_releases(items)

    return Engine(Quiet()).block(block, frozenset({OPEN}), guarded=False)


def releases_on_all_paths(tracker: Tracker, body: Block) -> bool:
    """For a deferred closure: every path through `body` (returns included) must end the resource."""
    exits: list[State] = []

    class Collect(Tracker):
        def transfer(self, node, state):
            return tracker.transfer(node, state)

        def on_exit(self, node, kind, state, guarded):
            if not guarded:
                exits.append(state)

    engine = Engine(Collect())
    engine.run(body, body.node, frozenset({OPEN}))
    return all(OPEN not in s for s in exits)
