"""Sphinx settings for the course's static site: ``make docs`` builds it into ``build/site``.

The pages are the committed, executed notebooks, read as they are (myst-nb never runs them), in
course order, behind the landing page ``notebooks/index.md``. Everything a page loads is served by
the site itself: the diagrams' vis-network comes inside the notebooks (``course.diagram.library``),
and the widget scripts are fetched once from the npm registry by ``docs/vendor.py``.
"""

from __future__ import annotations

import sys
from pathlib import Path

HERE = Path(__file__).parent
sys.path.insert(0, str(HERE))

from vendor import vendor  # noqa: E402

WIDGETS = vendor(HERE.parent / "build" / "static" / "widgets")
# The notebooks in the order a learner takes them; the landing page links them in this order too.
CHAPTERS = sorted(p.stem for p in (HERE.parent / "notebooks").glob("[0-9][0-9]_*.ipynb"))

project = "Docker container networking, live"
author = "the dockernet-course authors"
copyright = "2026, the dockernet-course authors"
extensions = ["myst_nb"]
root_doc = "index"
# the Korean pages are a site of their own (``ko/``), built from ``notebooks/ko`` with ``-D language=ko``
exclude_patterns = ["**/.ipynb_checkpoints", "sanitize.cfg", "ko"]
myst_heading_anchors = 3

# Translation (``make translations``): the gettext builder extracts every paragraph, heading and list
# item of the notebooks' markdown into ``locale/``, one catalog a page, without source locations (they
# would name this machine's paths); ``locale/generate.py`` writes the Korean notebooks from them.
locale_dirs = [str(HERE.parent / "locale")]
gettext_compact = False
gettext_location = False
gettext_uuid = False
# the Korean site is built from notebooks/ko/, already Korean: no catalog is applied, none compiled
gettext_auto_build = False

# The notebooks are shown with the outputs they were committed with: the course's own record of a
# real engine, compared by nbval on every test run.
nb_execution_mode = "off"
nb_merge_streams = True
# every widget view is followed by its plain result, shown where the widget cannot render
nb_custom_formats = {".ipynb": ("fallback.read", {}, False)}
# Widgets render from the state saved in each notebook, with scripts the site serves (see vendor.py).
# The diagram library hides require.js's define() while it loads, so diagrams and widgets share a page.
nb_ipywidgets_js = {
    "widgets/require.js": {},
    "widgets/require-config.js": {},
    "widgets/embed-amd.js": {"data-jupyter-widgets-cdn": "_static/widgets/"},
}

html_theme = "sphinx_book_theme"
html_title = project
html_static_path = [str(WIDGETS.parent), str(HERE / "static")]
html_favicon = "static/favicon.svg"
html_css_files = ["course.css"]
html_copy_source = False
html_show_sourcelink = False
html_theme_options = {
    "show_toc_level": 2,
    "use_download_button": True,
    "home_page_in_toc": True,
}
# Light unless the reader's system asks for dark (an empty mode logs a console error on every page).
html_context = {"default_mode": "auto"}


def _toctree(app, docname: str, source: list[str]) -> None:
    """Give the landing page its table of contents; learners read index.md in JupyterLab without it."""
    if docname == root_doc:
        source[0] += "\n\n```{toctree}\n:hidden:\n:maxdepth: 1\n\n" + "\n".join(CHAPTERS) + "\n```\n"


# Each language's site links every page to the same page in the other: English at the root, Korean in ko/.
OTHER = {
    "en": ("ko", "한국어", "ko/{page}.html"),
    "ko": ("en", "English", "../{page}.html"),
}
TITLES = {"ko": "Docker 컨테이너 네트워킹, 라이브"}


def _titled(app, config) -> None:
    """The site's title in its language (``-D language=ko`` is known only once the config is read)."""
    if config.language in TITLES:
        config.project = config.html_title = TITLES[config.language]


def _other_language(app, pagename: str, templatename: str, context: dict, doctree) -> None:
    """Put a link to this page in the other language at the top of the page, and tell search engines."""
    lang = app.config.language if app.config.language in OTHER else "en"
    other, label, pattern = OTHER[lang]
    href = pattern.format(page=pagename)
    context["metatags"] = context.get("metatags", "") + (
        f'<link rel="alternate" hreflang="{other}" href="{href}" />\n'
    )
    if "body" in context:
        context["body"] = (
            f'<p class="course-language"><a href="{href}" hreflang="{other}" lang="{other}">{label}</a></p>\n'
            + context["body"]
        )


def setup(app) -> None:
    app.connect("source-read", _toctree)
    app.connect("config-inited", _titled)
    app.connect("html-page-context", _other_language)
