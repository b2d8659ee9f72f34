"""Read a notebook for the site, giving every widget a plain fallback.

A widget on the site is drawn by the widget manager from the state saved in the notebook. Where that
cannot happen (scripts blocked, a widget whose state was not saved), the page would show an empty box;
so after each widget view this reader adds the widget's plain result (the table or text its
``text/plain`` holds), which the site's stylesheet hides once the widget has rendered in that cell.
"""

from __future__ import annotations

import html

import nbformat

WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"


def read(text: str) -> nbformat.NotebookNode:
    """The notebook in ``text``, each widget view followed by its plain result."""
    notebook = nbformat.reads(text, as_version=4)
    for cell in notebook.cells:
        if cell.cell_type != "code":
            continue
        outputs = []
        for output in cell.outputs:
            outputs.append(output)
            plain = output.get("data", {}).get("text/plain", "")
            if WIDGET_VIEW in output.get("data", {}) and plain.strip():
                fallback = f'<pre class="widget-fallback">{html.escape(plain)}</pre>'
                outputs.append(nbformat.v4.new_output("display_data", data={"text/html": fallback}))
        cell.outputs = outputs
    return notebook
