"""`rewrite --report`: a self-contained HTML report that a real headless Chromium (Debian's) renders, whose
links resolve in that browser, and a Markdown report whose links point at real lines."""

import os
import re
import shutil
import subprocess
import sys
from collections import Counter
from html.parser import HTMLParser
from pathlib import Path

import pytest
from checkout import REPO, otmigrate
from PIL import Image

GREY_BAR = (0x8C, 0x95, 0x9F)  # the chart's "before" bars
TARGET = (0xFF, 0xF8, 0xC5)  # a line that a link points to (:target)


def _chromium() -> str:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        if shutil.which(name):
            return shutil.which(name)
    if os.environ.get("OTMIGRATE_REQUIRE_TOOLCHAINS") == "1":
        pytest.fail("chromium is not installed (scripts/test.sh installs Debian's)")
    pytest.skip("chromium is not installed")


def screenshot(browser: str, url: str, dest: Path, height: int) -> Counter:
    """How many pixels of each colour a page shows in a window of 1280 x `height` (tall enough that the
    browser needs no scrolling, which headless screenshots do not follow)."""
    subprocess.run(
        [
            browser,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--hide-scrollbars",
            f"--window-size=1280,{height}",
            f"--screenshot={dest}",
            url,
        ],
        check=True,
        capture_output=True,
        timeout=120,
    )
    with Image.open(dest) as image:
        rgb = image.convert("RGB")
        return Counter({color: n for n, color in rgb.getcolors(maxcolors=1 << 24)})


class Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.ids: set[str] = set()
        self.hrefs: list[str] = []
        self.external: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if values.get("id"):
            self.ids.add(values["id"])
        if values.get("href"):
            self.hrefs.append(values["href"])
        for name in ("src", "srcset", "data"):
            if values.get(name):
                self.external.append(values[name])
        if tag == "link" or (tag == "script"):
            self.external.append(tag)


@pytest.fixture(scope="module")
def demo_reports(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("report")
    shutil.copytree(REPO / "fixtures" / "demo", root / "demo")
    for name in ("report.html", "report.md"):
        done = subprocess.run(
            [sys.executable, "-m", "otmigrate", "rewrite", "--report", f"../{name}", "."],
            cwd=root / "demo",
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert done.returncode == 1 and "Traceback" not in done.stderr, done.stderr
    return root


def test_the_html_report_is_self_contained_and_every_link_resolves(demo_reports: Path) -> None:
    text = (demo_reports / "report.html").read_text(encoding="utf-8")
    links = Links()
    links.feed(text)
    style = text.split("<style>")[1].split("</style>")[0]
    assert links.external == [] and "url(" not in style and "@import" not in style
    assert links.hrefs and all(href.startswith("#") for href in links.hrefs)
    assert {href[1:] for href in links.hrefs} <= links.ids
    for section in ("progress", "summary", "wire", "dependencies"):
        assert section in links.ids
    for expected in (
        "frontend/app.py",
        "backend/main.go",
        "worker/worker.js",
        "left for a person",
        "uber-trace-id",
    ):
        assert expected in text
    assert "otmigrate.demo/backend" in text  # the go.mod under dependency changes


def test_chromium_renders_the_report_and_its_line_links(demo_reports: Path, tmp_path: Path) -> None:
    browser = _chromium()
    page = (demo_reports / "report.html").as_uri()
    top = screenshot(browser, page, tmp_path / "top.png", 1600)
    assert sum(top.values()) == 1280 * 1600
    ink = sum(n for color, n in top.items() if sum(color) < 600)
    assert ink > 0.01 * 1280 * 1600, "the page looks blank"
    assert top[GREY_BAR] > 1000, "no progress chart"
    assert top[TARGET] == 0

    text = (demo_reports / "report.html").read_text(encoding="utf-8")
    manual = re.search(r"<li class='manual'>left for a person <a href='(#[^']+)'", text)
    assert manual, "the demo has a line left for a person"
    whole = screenshot(browser, page + manual.group(1), tmp_path / "linked.png", 16000)
    assert whole[TARGET] > 1000, "the browser did not find the linked line (:target)"


def test_the_markdown_report_links_real_lines(demo_reports: Path) -> None:
    text = (demo_reports / "report.md").read_text(encoding="utf-8")
    links = re.findall(r"\]\(([^)#]+)(?:#L(\d+))?\)", text)
    assert len(links) > 10
    for target, line in links:
        path = (demo_reports / target).resolve()
        assert path.is_file(), target
        if line:
            assert int(line) <= len(path.read_text(encoding="utf-8").split("\n")), (target, line)
    assert "| zipkin | 7 | 0 |" in text


PLANTED_RULE = """id: planted-python-break
language: python
library: opentracing
safety: safe
message: planted break
rule:
  pattern: $S.finish()
fix: finish_it($S)
examples:
  - before: "import opentracing\\nspan.finish()\\n"
    after: "import opentracing\\nfinish_it(span)\\n"
"""


def test_the_report_shows_what_verify_found(tmp_path: Path) -> None:
    """A break the migration plants (an undefined name) is in both reports, with its tool and line, linked
    to its file's section; without --verify the report says verification did not run."""
    project = tmp_path / "project"
    project.mkdir()
    (project / "app.py").write_text(
        "import opentracing\n\n\ndef handler():\n"
        '    span = opentracing.tracer.start_span("w")\n    span.finish()\n'
    )
    rules = tmp_path / "rules"
    rules.mkdir()
    (rules / "break.yml").write_text(PLANTED_RULE)
    planted = ("rewrite", "--rules", str(rules), "--select", "planted-")
    for name in ("verified.html", "verified.md"):
        done = otmigrate(*planted, "--verify", "--report", f"../{name}", ".", cwd=project, timeout=300)
        assert done.returncode == 1 and "Traceback" not in done.stderr, done.stderr
    page = (tmp_path / "verified.html").read_text(encoding="utf-8")
    links = Links()
    links.feed(page)
    assert "verify" in links.ids and {href[1:] for href in links.hrefs} <= links.ids
    assert "1 error no TODO covers (1 problem in all; ran: compile, pyflakes)" in page
    assert re.search(r"<a href='#f\d+'>app\.py:6</a></td><td>pyflakes</td><td>[^<]*finish_it", page)
    markdown = (tmp_path / "verified.md").read_text(encoding="utf-8")
    assert re.search(r"- \[app\.py\]\(project/app\.py\) line 6 \(pyflakes\): .*finish_it.* — error", markdown)

    done = otmigrate(*planted, "--report", "../plain.md", ".", cwd=project, timeout=300)
    assert "Traceback" not in done.stderr, done.stderr
    assert "Not run: `otmigrate rewrite --verify`" in (tmp_path / "plain.md").read_text(encoding="utf-8")
