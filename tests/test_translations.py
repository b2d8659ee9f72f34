"""The Korean edition is in step with the English source: every message translated, ``notebooks/ko/``
what ``make translations`` writes, code cells the same in both, and Korean prose that is Korean.

No engine: these read the committed files (the Korean notebooks' outputs are nbval's, on an engine).
"""

from __future__ import annotations

import importlib.util
import re
import subprocess
import sys
from collections import Counter
from pathlib import Path

import nbformat
import pytest
from babel.messages.pofile import read_po

from course import i18n

ROOT = Path(__file__).parents[1]
CATALOGS = sorted((ROOT / "locale" / "ko" / "LC_MESSAGES").glob("*.po"))
PACKAGE_CATALOG = ROOT / "course" / "locale" / "ko" / "LC_MESSAGES" / "course.po"
ENGLISH = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
CODE_SPAN = re.compile(r"(`+)(.+?)\1", re.S)
LINK_TARGET = re.compile(r"\]\(([^)\s]+)\)")
FIELD = re.compile(r"\{[a-z_][a-z0-9_]*(?:![rsa])?(?::[^{}]*)?\}")


def _messages(path: Path):
    with path.open("rb") as po:
        return [m for m in read_po(po, locale="ko") if m.id]


@pytest.mark.parametrize("path", [*CATALOGS, PACKAGE_CATALOG], ids=lambda p: p.name)
def test_every_message_is_translated_and_none_is_fuzzy(path):
    messages = _messages(path)
    assert messages, f"{path} is empty: run make translations"
    untranslated = [m.id for m in messages if not (all(m.string) if m.pluralizable else m.string)]
    fuzzy = [m.id for m in messages if m.fuzzy]
    assert untranslated == [], f"untranslated in {path.name}: translate them (locale/README.md)"
    assert fuzzy == [], f"fuzzy in {path.name}: check each translation against its new English"


def _spans(text: str) -> Counter:
    return Counter([m.group(2).strip() for m in CODE_SPAN.finditer(text)] + LINK_TARGET.findall(text))


@pytest.mark.parametrize("path", CATALOGS, ids=lambda p: p.name)
def test_code_spans_and_link_targets_are_kept(path):
    """A command, name or path inside backticks, and where a link goes, read the same in Korean."""
    changed = [m.id for m in _messages(path) if _spans(m.id) != _spans(m.string)]
    assert changed == []


def test_the_package_messages_keep_their_fields():
    changed = [
        m.id for m in _messages(PACKAGE_CATALOG)
        for ko in ([m.string] if isinstance(m.string, str) else m.string)
        if Counter(FIELD.findall(m.id if isinstance(m.id, str) else m.id[-1])) != Counter(FIELD.findall(ko))
    ]  # fmt: skip
    assert changed == []


def test_the_korean_notebooks_are_what_the_generator_writes():
    done = subprocess.run(
        [sys.executable, str(ROOT / "locale" / "generate.py"), "--check"], capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr


@pytest.mark.parametrize("english", ENGLISH, ids=lambda p: p.stem[:2])
def test_code_cells_are_the_same_in_both_languages(english):
    korean = nbformat.read(ROOT / "notebooks" / "ko" / english.name, as_version=4)
    english = nbformat.read(english, as_version=4)
    assert [(c.cell_type, c.get("id")) for c in korean.cells] == [
        (c.cell_type, c.get("id")) for c in english.cells
    ]
    for ko, en in zip(korean.cells, english.cells, strict=True):
        assert ko.metadata.get("tags") == en.metadata.get("tags")  # solution, check, nbval-ignore-output
        if en.cell_type == "code":
            assert ko.source == en.source


def latin_share(markdown: str) -> float:
    """The share of Latin letters among the letters of ``markdown``'s prose: code (fenced and inline),
    link targets, URLs and HTML tags set aside."""
    prose = re.sub(r"```.*?```", " ", markdown, flags=re.S)
    prose = CODE_SPAN.sub(" ", prose)
    prose = re.sub(r"\]\([^)]*\)", "]", prose)
    prose = re.sub(r"https?://\S+|<[^>]+>", " ", prose)
    latin = len(re.findall(r"[A-Za-z]", prose))
    hangul = len(re.findall(r"[\uac00-\ud7a3]", prose))
    return latin / (latin + hangul) if latin + hangul else 0.0


def test_the_latin_share_can_tell_english_from_korean():
    assert (
        latin_share("Two user-defined bridges, `red` and `blue`: a container on red cannot reach blue.") == 1
    )
    assert latin_share("두 개의 사용자 정의 bridge 네트워크 `red`와 `blue`를 만든다.") < 0.5
    assert latin_share("[목차](index.md) · `docker network ls`") == 0


@pytest.mark.parametrize(
    "page", [ROOT / "notebooks" / "ko" / "index.md", *(ROOT / "notebooks" / "ko" / p.name for p in ENGLISH)],
    ids=lambda p: p.stem[:2],
)  # fmt: skip
def test_no_korean_markdown_cell_is_mostly_latin(page):
    """English left in place shows as a cell whose letters are mostly Latin."""
    if page.suffix == ".md":
        cells = [page.read_text()]
    else:
        cells = [c.source for c in nbformat.read(page, as_version=4).cells if c.cell_type == "markdown"]
    english = [cell[:80] for cell in cells if latin_share(cell) > 0.5]
    assert english == []


def test_the_glossary_is_followed():
    """No spelling the glossary's "Never" table lists, in any catalog; and the workshop's key-value store
    is there, spelled right."""
    glossary = (ROOT / "locale" / "glossary.md").read_text()
    never = glossary[glossary.index("## Never") : glossary.index("## Where the course")]
    avoid = ["키-벨류", "브릿지", "네트웍", "포트 포워딩", "합니다", "하세요"]
    assert all(word in never for word in avoid)  # the test and the glossary say the same
    found = {
        (path.name, word)
        for path in [*CATALOGS, PACKAGE_CATALOG]
        for m in _messages(path)
        for text in ([m.string] if isinstance(m.string, str) else m.string)
        for word in avoid
        if word in text
    }
    assert found == set()
    assert any("키-밸류" in m.string for path in CATALOGS for m in _messages(path))


def test_language_follows_the_notebook_then_the_locale(tmp_path, monkeypatch):
    for variable in ("COURSE_LANGUAGE", "LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG"):
        monkeypatch.delenv(variable, raising=False)
    monkeypatch.chdir(tmp_path)
    assert i18n.language() == "en"
    monkeypatch.setenv("LANG", "ko_KR.UTF-8")
    assert i18n.language() == "ko"
    monkeypatch.setenv("LANGUAGE", "en:ko")  # gettext's list of languages comes first
    assert i18n.language() == "en"
    monkeypatch.chdir(ROOT / "notebooks" / "ko")  # a terminal there follows the locale, not the folder
    assert i18n.language() == "en"
    monkeypatch.setattr(i18n, "_in_kernel", lambda: True)  # now a kernel's
    monkeypatch.chdir(ROOT / "notebooks")  # a kernel of an English notebook, whatever the locale
    monkeypatch.setenv("LANGUAGE", "ko")
    assert i18n.language() == "en"
    monkeypatch.chdir(ROOT / "notebooks" / "ko")
    monkeypatch.setenv("LANGUAGE", "en")
    assert i18n.language() == "ko"
    monkeypatch.setenv("COURSE_LANGUAGE", "en")  # said outright, it wins
    assert i18n.language() == "en"


def test_messages_are_translated_when_shown(monkeypatch):
    monkeypatch.setenv("COURSE_LANGUAGE", "ko")
    translated = {m.id: m.string for m in _messages(PACKAGE_CATALOG) if isinstance(m.id, str)}
    english, korean = next(iter(translated.items()))
    assert i18n._(english) == korean
    assert i18n._("a sentence no catalog has") == "a sentence no catalog has"
    monkeypatch.setenv("COURSE_LANGUAGE", "en")
    assert i18n._(english) == english


def test_the_generator_replaces_blocks_and_refuses_what_it_cannot_translate():
    spec = importlib.util.spec_from_file_location("locale_generate", ROOT / "locale" / "generate.py")
    generate = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(generate)

    # a cell whose text stands in the row before it too ("port", in "host port") is still found
    source = (
        "## Step 1 · Two networks\n\n- one `red`\n- two\n\n| host port | port |\n| --- | --- |\n| x | `y` |\n"
    )
    korean = {
        "Step 1 · Two networks": "1단계 · 네트워크 두 개",
        "one `red`": "하나 `red`",
        "two": "둘",
        "host port": "호스트 포트",
        "port": "포트",
        "x": "다",
        "`y`": "`y`",
    }
    assert generate.translate_markdown(source, korean, "t") == (
        "## 1단계 · 네트워크 두 개\n\n- 하나 `red`\n- 둘\n\n| 호스트 포트 | 포트 |\n| --- | --- |\n"
        "| 다 | `y` |\n"
    )
    del korean["two"]
    with pytest.raises(generate.Untranslated, match="'two'"):
        generate.translate_markdown(source, korean, "t")
