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
exclude_patterns = ["**/.ipynb_checkpoints", "sanitize.cfg"]
myst_heading_anchors = 3

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


def setup(app) -> None:
    app.connect("source-read", _toctree)
