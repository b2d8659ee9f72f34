"""The instructor's page: a JupyterHub service (``/services/room/``) that shows every learner.

For each learner: whether their server and their engine are up, how many exercises they solved in
each notebook, and when the hub last saw them active; a button that empties their engine (their
notebooks stay), and a link that opens their server. It refreshes itself every few seconds.

Only admins reach it: the hub lets a user into a service only with ``access:services``, which the admin
role has and a learner does not (JupyterHub's OAuth, ``HubOAuthenticated``). The hub starts it
(``python -m course.classroom.instructor``) with its own token, which may only read users.
"""

from __future__ import annotations

import asyncio
import contextlib
import html
import json
import os
import urllib.request
from datetime import UTC, datetime
from urllib.parse import urlparse

from jupyterhub.services.auth import HubOAuthCallbackHandler, HubOAuthenticated
from jupyterhub.utils import url_path_join
from tornado import ioloop, web

from ..errors import CourseError
from ..i18n import N_, _
from .learner_engine import LearnerEngine, check_learner, progress_rows

NAME = "room"  # /services/room/
SAID = "room-said"  # the cookie that carries what the last reset did to the page
REFRESH = 10  # seconds between the page's own reloads
# what the service's token may do: read the users and their servers, nothing else
SCOPES = ["list:users", "read:users", "read:servers"]


def hub_users() -> dict[str, dict]:
    """The hub's user models, ``{name: model}`` (``GET /hub/api/users``, with the service's token)."""
    request = urllib.request.Request(
        url_path_join(os.environ["JUPYTERHUB_API_URL"], "users"),
        headers={"Authorization": f"token {os.environ['JUPYTERHUB_API_TOKEN']}"},
    )
    with urllib.request.urlopen(request, timeout=30) as answer:
        return {user["name"]: user for user in json.loads(answer.read())}


def _ago(stamp: str | None) -> str:
    if not stamp:
        return _("never")
    seconds = (datetime.now(UTC) - datetime.fromisoformat(stamp.replace("Z", "+00:00"))).total_seconds()
    if seconds < 90:
        return _("{n} s ago").format(n=f"{max(seconds, 0):.0f}")
    if seconds < 5400:
        return _("{n} min ago").format(n=f"{seconds / 60:.0f}")
    return _("{n} h ago").format(n=f"{seconds / 3600:.1f}")


def rows(learners: list[str]) -> list[dict]:
    """One row per learner, as the page shows it."""
    users = hub_users()
    solved = {row["learner"]: row for row in progress_rows(learners)}
    found = []
    for name in learners:
        model = users.get(name, {})
        server = (model.get("servers") or {}).get("", {})
        box = LearnerEngine(name).container()
        found.append(
            {
                "learner": name,
                "server": "ready" if server.get("ready") else ("starting" if server else "stopped"),
                "engine": box.status if box is not None else "none",
                "notebooks": solved[name]["notebooks"],
                "solved": solved[name]["solved"],
                "active": _ago(model.get("last_activity")),
            }
        )
    return found


def _confirm(name: str) -> str:
    """The reset button's question, for a JavaScript string in single quotes (``name`` is escaped)."""
    asked = _("Empty {name}'s engine: every container, network and volume in it? Their notebooks stay.")
    return asked.format(name=name).replace("'", "&#39;").replace('"', "&quot;")


def page(found: list[dict], xsrf: str, prefix: str, hub_prefix: str, said: str = "") -> str:
    """The page's HTML: a table, a reset form per learner (with a confirmation), a link to each server."""
    books = list(found[0]["notebooks"]) if found else []
    head = "".join(f"<th>{html.escape(b)}</th>" for b in [_("learner"), _("server"), _("engine"), *books])
    shown = (N_("open server"), N_("reset engine"), N_("The room"), N_("solved"), N_("last active"))
    words = {w: html.escape(_(w)) for w in shown}
    body = []
    for row in found:
        name = html.escape(row["learner"])
        cells = [
            f"<td class='learner'>{name}</td>",
            f"<td class='server {row['server']}'>{row['server']}</td>",
            f"<td class='engine {row['engine']}'>{html.escape(row['engine'])}</td>",
            *(f"<td class='book'>{row['notebooks'][b]}</td>" for b in books),
            f"<td class='solved'>{row['solved']}</td>",
            f"<td class='active'>{row['active']}</td>",
            f"<td><a href='{hub_prefix}user/{name}/lab' target='_blank'>{words['open server']}</a></td>",
            f"<td><form method='post' action='{prefix}reset/{name}' onsubmit=\"return confirm("
            f"'{_confirm(name)}')\">{xsrf}<button type='submit'>{words['reset engine']}</button></form></td>",
        ]
        body.append(f"<tr id='learner-{name}'>{''.join(cells)}</tr>")
    about = _(
        "Every learner: their server and engine, exercises solved per notebook, last seen. This page reloads "
        "itself every {seconds} s."
    ).format(seconds=REFRESH)
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta http-equiv="refresh" content="{REFRESH}">
<title>{words["The room"]}</title>
<style>
body {{ font-family: sans-serif; margin: 2em; }} table {{ border-collapse: collapse; }}
th, td {{ border-bottom: 1px solid #ccc; padding: .3em .8em; text-align: left; }}
.ready, .running {{ color: #1a7f37; }} .stopped, .exited, .none {{ color: #888; }} .said {{ color: #0550ae; }}
</style></head>
<body><h1>{words["The room"]}</h1>
<p>{html.escape(about)}</p>
<p class="said">{html.escape(said)}</p>
<table><thead><tr>{head}<th>{words["solved"]}</th><th>{words["last active"]}</th><th></th><th></th>
</tr></thead>
<tbody>{"".join(body)}</tbody></table></body></html>"""


class Room(HubOAuthenticated, web.RequestHandler):
    """The page. What the last reset did comes in a cookie this service signed: no link can put
    words on it."""

    def initialize(self, learners: list[str]) -> None:
        self.learners = learners

    @web.authenticated
    async def get(self) -> None:
        prefix = os.environ.get("JUPYTERHUB_SERVICE_PREFIX", "/")
        hub = os.environ.get("JUPYTERHUB_BASE_URL", "/")
        said = (self.get_signed_cookie(SAID, max_age_days=1) or b"").decode()
        self.clear_cookie(SAID, path=prefix)
        found = await asyncio.to_thread(rows, self.learners)  # the engine and the hub, off the loop
        self.finish(page(found, self.xsrf_form_html(), prefix, hub, said))


class Reset(HubOAuthenticated, web.RequestHandler):
    """One learner's reset (POST ``reset/NAME``, with the page's XSRF token): empty their engine."""

    def initialize(self, learners: list[str]) -> None:
        self.learners = learners

    @web.authenticated
    async def post(self, name: str) -> None:
        prefix = os.environ.get("JUPYTERHUB_SERVICE_PREFIX", "/")
        if name not in self.learners:
            raise web.HTTPError(404, f"No learner {name!r} in this room.")
        try:
            removed = await asyncio.to_thread(LearnerEngine(check_learner(name)).reset)
            said = _("{learner}: {removed}; their notebooks are kept.").format(
                learner=name, removed=str(removed).rstrip(".")
            )
        except CourseError as error:
            said = f"{name}: {error.what} {error.fix}"
        self.set_signed_cookie(SAID, said, path=prefix, httponly=True)
        self.redirect(prefix)


def app(learners: list[str]) -> web.Application:
    prefix = os.environ.get("JUPYTERHUB_SERVICE_PREFIX", "/")
    return web.Application(
        [
            (prefix, Room, {"learners": learners}),
            (url_path_join(prefix, r"reset/([a-z][a-z0-9-]*)"), Reset, {"learners": learners}),
            (url_path_join(prefix, "oauth_callback"), HubOAuthCallbackHandler),
        ],
        cookie_secret=os.urandom(32),
        xsrf_cookies=True,
    )


def main() -> None:
    """Serve the page where the hub says (``JUPYTERHUB_SERVICE_URL``), for the learners it names."""
    learners = [check_learner(n) for n in os.environ["COURSE_LEARNERS"].split()]
    url = urlparse(os.environ["JUPYTERHUB_SERVICE_URL"])
    app(learners).listen(url.port, url.hostname)
    with contextlib.suppress(KeyboardInterrupt):  # the hub's way of stopping its services
        ioloop.IOLoop.current().start()


if __name__ == "__main__":
    main()
