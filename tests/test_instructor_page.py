"""The instructor's page as HTML (no engine, no hub): one row per learner, a confirmed reset form each,
and nothing a URL can inject."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

instructor = pytest.importorskip("course.classroom.instructor")


def _row(name: str, solved: str = "0/10") -> dict:
    books = {"01": "0/2", "02": "0/2", "03": "0/2", "04": "1/2", "05": "0/2"}
    return {"learner": name, "server": "ready", "engine": "running", "notebooks": books, "solved": solved,
            "active": "5 s ago"}  # fmt: skip


def test_each_learner_has_a_row_a_link_and_a_confirmed_reset():
    html = instructor.page([_row("ann", "1/10"), _row("bob")], "<input name='_xsrf'>", "/services/room/", "/")
    assert html.count("<tr id='learner-") == 2 and "<td class='solved'>1/10</td>" in html
    assert "action='/services/room/reset/ann'" in html and "href='/user/ann/lab'" in html
    assert "return confirm('Empty ann&#39;s engine" in html and html.count("<input name='_xsrf'>") == 2
    assert f'content="{instructor.REFRESH}"' in html  # it reloads itself


def test_what_a_url_says_is_shown_as_text():
    html = instructor.page([_row("ann")], "", "/services/room/", "/", said="<script>alert(1)</script>")
    assert "<script>alert" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_last_activity_reads_as_a_person_would_say_it():
    now = datetime.now(UTC)
    assert instructor._ago(None) == "never"
    assert instructor._ago((now - timedelta(seconds=30)).isoformat()) == "30 s ago"
    assert instructor._ago((now - timedelta(minutes=12)).isoformat().replace("+00:00", "Z")) == "12 min ago"
    assert instructor._ago((now - timedelta(hours=3)).isoformat()) == "3.0 h ago"
