"""Write the Korean course, ``notebooks/ko/``, from the English notebooks and the Korean catalogs.

    python locale/generate.py [--check]

The English notebooks are the source. Sphinx's gettext builder cut their markdown into messages (one a
paragraph, heading, list item or table cell: ``make translations``), and ``locale/ko/LC_MESSAGES/`` holds
their Korean. Here the same markdown is parsed with the same parser (MyST's markdown-it), and each of
those blocks is replaced by its Korean, its markers (``##``, ``-``, ``1.``, ``>``, a table's pipes) kept.
Everything else is copied as it is: code cells byte for byte, cell ids, metadata.

A Korean notebook keeps the outputs it was recorded with (``make record LANGUAGE=ko``) for every code
cell whose source is unchanged; a changed or new cell takes the English outputs until it is recorded.

``--check`` writes nothing and exits 1 naming every file that is not what this would write, and every
English block with no Korean: the sync test and CI run it.
"""

from __future__ import annotations

import argparse
import copy
import re
import sys
from pathlib import Path

import nbformat
from babel.messages.pofile import read_po
from markdown_it.renderer import RendererHTML
from myst_parser.config.main import MdParserConfig
from myst_parser.parsers.mdit import create_md_parser

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = ROOT / "notebooks"
LANGUAGES = ("ko",)
PARSER = create_md_parser(MdParserConfig(), RendererHTML)
CELL_BORDER = re.compile(r"(?<!\\)\|")  # a table row's pipes, not an escaped one inside a cell


class Untranslated(Exception):
    """An English block whose message the catalog does not have, or has without Korean."""


def message_id(content: str) -> str:
    """The msgid Sphinx's gettext builder gives a block: its source with the line breaks as spaces."""
    return content.replace("\n", " ").strip()


def catalog(lang: str, page: str) -> dict[str, str]:
    """The finished translations of one page's catalog (no fuzzy or empty ones)."""
    path = ROOT / "locale" / lang / "LC_MESSAGES" / f"{page}.po"
    if not path.is_file():
        return {}
    with path.open("rb") as po:
        return {m.id: m.string for m in read_po(po, locale=lang) if m.id and m.string and not m.fuzzy}


def translate_markdown(source: str, messages: dict[str, str], where: str) -> str:
    """``source`` with every block that gettext extracts replaced by its translation."""
    lines = source.split("\n")
    tokens = PARSER.parse(source)
    column = None  # in a table: the index of the cell being read in its row
    blocks = []
    for token in tokens:
        if token.type == "tr_open":
            column = -1
        elif token.type in ("th_open", "td_open"):
            column += 1
        elif token.type == "table_close":
            column = None
        elif token.type == "inline" and token.map and message_id(token.content):
            blocks.append((token, column))
    missing = [message_id(t.content) for t, _ in blocks if message_id(t.content) not in messages]
    if missing:
        raise Untranslated(f"{where}: no translation for " + "; ".join(repr(m[:70]) for m in missing))
    for token, column in reversed(blocks):  # from the end, so that earlier line numbers hold
        start = token.map[0]
        korean = messages[message_id(token.content)]
        if column is not None:  # a table cell: its text, between its row's unescaped pipes
            cells = CELL_BORDER.split(lines[start])
            at = column + (1 if lines[start].lstrip().startswith("|") else 0)
            cells[at] = cells[at].replace(token.content.strip(), korean, 1)
            lines[start] = "|".join(cells)
            continue
        first = token.content.split("\n")[0]
        at = lines[start].index(first)
        prefix = lines[start][:at]
        last = start + token.content.count("\n")  # the block's last line (a heading's `#`s are kept)
        tail = token.content.split("\n")[-1]
        suffix = lines[last][lines[last].rindex(tail) + len(tail) :]
        lines[start : last + 1] = [prefix + korean + suffix]
    return "\n".join(lines)


def translate_notebook(english: Path, lang: str) -> nbformat.NotebookNode:
    """The ``lang`` notebook made from ``english``: markdown translated, code and ids as they are."""
    messages = catalog(lang, english.stem)
    notebook = nbformat.read(english, as_version=4)
    target = NOTEBOOKS / lang / english.name
    recorded, widgets = {}, None
    if target.is_file():
        previous = nbformat.read(target, as_version=4)
        recorded = {c.get("id"): c for c in previous.cells if c.cell_type == "code"}
        widgets = previous.metadata.get("widgets")
    translated = copy.deepcopy(notebook)
    if target.is_file():  # the widgets' state is the Korean run's, as are its outputs
        translated.metadata.pop("widgets", None)
        if widgets is not None:
            translated.metadata["widgets"] = widgets
    for cell in translated.cells:
        if cell.cell_type == "markdown":
            cell.source = translate_markdown(cell.source, messages, f"{english.name} cell {cell.get('id')}")
        elif cell.cell_type == "code":
            old = recorded.get(cell.get("id"))
            if old is not None and old.source == cell.source:
                cell.outputs = old.outputs
                cell.execution_count = old.execution_count
                if "execution" in old.metadata:  # the Korean run's timings; tags and the rest are English's
                    cell.metadata["execution"] = old.metadata["execution"]
    return translated


def render(english: Path, lang: str) -> str:
    """What ``notebooks/<lang>/<name>`` should hold, as text."""
    if english.suffix == ".md":
        return translate_markdown(english.read_text(), catalog(lang, english.stem), english.name)
    return nbformat.writes(translate_notebook(english, lang)) + "\n"


def sources() -> list[Path]:
    """The English pages translated: the landing page and every notebook."""
    return [NOTEBOOKS / "index.md", *sorted(NOTEBOOKS.glob("[0-9][0-9]_*.ipynb"))]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="write nothing; fail where a file differs")
    args = parser.parse_args(argv)
    problems = []
    for lang in LANGUAGES:
        (NOTEBOOKS / lang).mkdir(exist_ok=True)
        for english in sources():
            target = NOTEBOOKS / lang / english.name
            try:
                text = render(english, lang)
            except Untranslated as error:
                problems.append(str(error))
                continue
            current = target.read_text() if target.is_file() else None
            if text != current:
                if args.check:
                    problems.append(f"{target.relative_to(ROOT)} is not what `make translations` writes")
                else:
                    target.write_text(text)
                    print(f"wrote {target.relative_to(ROOT)}")
    for problem in problems:
        print(problem, file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
