"""The three languages otmigrate handles, and the facts every stage needs about them.

Each language's own parts (imports, transforms, manifests, validation) live in its sub-package and are
imported only when a file of that language needs them, so `lint` and `scan` stay quick to start.
"""

from __future__ import annotations

import importlib
import importlib.util
from dataclasses import dataclass, replace
from functools import cache
from pathlib import Path
from types import ModuleType

LIBRARIES = ("opentracing", "jaeger", "zipkin")
"""The legacy libraries otmigrate migrates; rule files target these."""

DETECTED_ONLY = ("opencensus",)
"""Legacy tracing that scan and lint report but no rule rewrites. `opentelemetry` is the remaining
library a binding can belong to."""


@dataclass(frozen=True)
class Binding:
    """A local name a file binds to a tracing module, e.g. `ot` → `opentracing`."""

    library: str  # opentracing | jaeger | zipkin | opencensus | opentelemetry
    module: str  # the module `local` refers to: "opentracing", "github.com/opentracing/opentracing-go"
    member: str | None  # the imported member for `from m import x` / `{x} = require(m)`; None for the module
    local: str  # the name the file uses
    line: int  # 1-based
    column: int  # 1-based
    imported: str | None = None  # what the statement names, when longer: `a.b.c` for Python `import a.b.c`

    @property
    def is_legacy(self) -> bool:
        return self.library in LIBRARIES or self.library in DETECTED_ONLY

    @property
    def is_migratable(self) -> bool:
        return self.library in LIBRARIES

    @property
    def imported_module(self) -> str:
        return self.imported or self.module


@dataclass(frozen=True)
class Language:
    name: str  # python | go | javascript
    short: str  # the prefix of its rule ids: py | go | js
    grep_language: str  # ast-grep's language id
    extensions: tuple[str, ...]
    legacy_markers: tuple[bytes, ...]  # bytes a file must contain to hold legacy tracing code
    otel_markers: tuple[bytes, ...]  # bytes of OpenTelemetry imports, for lint
    comment: str  # line-comment prefix, for TODO comments
    grammars: tuple[tuple[str, str], ...] = ()  # (extension, ast-grep language) where it is not grep_language

    @cache  # noqa: B019 - the three languages live as long as the process anyway
    def part(self, name: str) -> ModuleType | None:
        """The language's `name` module (imports, transforms, manifest, validate), if it has one."""
        qualified = f"otmigrate.languages.{self.name}.{name}"
        if importlib.util.find_spec(qualified) is None:
            return None
        return importlib.import_module(qualified)

    def for_path(self, path: Path | str) -> Language:
        """The language as it parses `path`: TypeScript files are JavaScript read with its own grammar."""
        suffix = Path(path).suffix
        for extension, grammar in self.grammars:
            if suffix == extension:
                return replace(self, grep_language=grammar)
        return self

    def mentions_tracing(self, data: bytes, *, include_otel: bool = False) -> bool:
        """The byte-level prefilter: a file that mentions no tracing library is never parsed."""
        markers = self.legacy_markers + (self.otel_markers if include_otel else ())
        return any(marker in data for marker in markers)


LANGUAGES: dict[str, Language] = {
    "python": Language(
        name="python",
        short="py",
        grep_language="python",
        extensions=(".py",),
        legacy_markers=(b"opentracing", b"jaeger_client", b"py_zipkin", b"opencensus"),
        otel_markers=(b"opentelemetry",),
        comment="#",
    ),
    "go": Language(
        name="go",
        short="go",
        grep_language="go",
        extensions=(".go",),
        legacy_markers=(
            b"github.com/opentracing/opentracing-go",
            b"github.com/uber/jaeger-client-go",
            b"github.com/openzipkin/zipkin-go",
            b"github.com/openzipkin-contrib/zipkin-go-opentracing",
            b"go.opencensus.io",
        ),
        otel_markers=(b"go.opentelemetry.io/",),
        comment="//",
    ),
    "javascript": Language(
        name="javascript",
        short="js",
        grep_language="javascript",
        extensions=(".js", ".mjs", ".cjs", ".jsx", ".ts", ".mts", ".cts", ".tsx"),
        legacy_markers=(b"opentracing", b"jaeger-client", b"zipkin", b"@opencensus/"),
        otel_markers=(b"@opentelemetry/",),
        comment="//",
        grammars=((".ts", "typescript"), (".mts", "typescript"), (".cts", "typescript"), (".tsx", "tsx")),
    ),
}

_BY_EXTENSION = {ext: lang for lang in LANGUAGES.values() for ext in lang.extensions}


def language_for(path: Path | str) -> Language | None:
    """The language of a file, by its extension (with the grammar that extension needs)."""
    language = _BY_EXTENSION.get(Path(path).suffix)
    return language.for_path(path) if language is not None else None
