"""The language the course speaks to a learner: English, or Korean (``ko``).

Every sentence the package shows a learner is written in English inside ``_()`` (or ``N_()`` where it
is defined before it is shown, as in a table of feedback) and looked up at the moment it is shown, in
``course/locale/ko/LC_MESSAGES/course.po``: Babel extracts the sentences (``make translations``) and
reads the catalog here, without a compile step. A sentence with no Korean yet is shown in English.

Which language, in this order:

1. ``COURSE_LANGUAGE`` (``ko`` or ``en``), when set: the classroom's room page has it, and anyone may;
2. in a notebook's kernel: the notebook's own language. A kernel starts in its notebook's folder, so a
   kernel started in ``notebooks/ko/`` speaks Korean and one in ``notebooks/`` English, whatever the
   locale (a learner's terminal in a classroom, in the same home folder, follows 3);
3. elsewhere (the ``course`` command, ``make course``): the language the user asked for, as gettext reads
   it: ``LANGUAGE`` (``ko``, or a list such as ``ko:en``), then the locale, ``LC_ALL``, ``LC_MESSAGES``
   or ``LANG`` (``ko_KR.UTF-8``).

Messages are formatted after translation, with named fields (``_("{name} is up").format(name=...)``),
so that a translation may put the fields in its own order.
"""

from __future__ import annotations

import os
import sys
from functools import cache
from pathlib import Path

LANGUAGES = ("en", "ko")
CATALOGS = Path(__file__).parent / "locale"
DOMAIN = "course"


def folder(lang: str) -> str:
    """Where ``lang``'s notebooks are, relative to the English ones: ``""`` for English, ``"ko"``."""
    return "" if lang == "en" else lang


def _korean(value: str) -> bool:
    return value.lower().startswith("ko")


def _in_kernel() -> bool:
    """Whether this is a notebook's kernel (IPython's kernel shell), not a terminal or a test."""
    ipython = sys.modules.get("IPython")
    return ipython is not None and type(ipython.get_ipython()).__name__ == "ZMQInteractiveShell"


def language() -> str:
    """``"ko"`` or ``"en"``: the language the course speaks right now (see the module's docstring)."""
    chosen = os.environ.get("COURSE_LANGUAGE", "").strip()
    if chosen:
        return "ko" if _korean(chosen) else "en"
    if _in_kernel():  # a kernel in the course's notebooks speaks its notebook's language
        try:
            here = Path.cwd()
        except OSError:  # the folder it started in is gone
            here = None
        if here is not None and (here / "00_setup.ipynb").is_file():
            return "ko" if here.name == "ko" else "en"
    for variable in ("LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG"):
        value = os.environ.get(variable, "")
        if value:
            return "ko" if _korean(value.split(":")[0]) else "en"
    return "en"


@cache
def catalog(lang: str) -> dict[str | tuple[str, str], str | tuple[str, ...]]:
    """The translated messages of one language: msgid to msgstr, without fuzzy or empty ones."""
    path = CATALOGS / lang / "LC_MESSAGES" / f"{DOMAIN}.po"
    if lang == "en" or not path.is_file():
        return {}
    from babel.messages.pofile import read_po  # Babel comes with Sphinx and is a course dependency

    with path.open("rb") as po:
        messages = read_po(po, locale=lang, domain=DOMAIN)
    return {
        message.id: message.string
        for message in messages
        if message.id
        and not message.fuzzy
        and (any(message.string) if message.pluralizable else message.string)
    }


def _(message: str) -> str:
    """``message`` in the learner's language (itself where no translation exists)."""
    found = catalog(language()).get(message)
    return found if isinstance(found, str) else message


def ngettext(singular: str, plural: str, n: int) -> str:
    """The singular or plural sentence for ``n``, in the learner's language (Korean has one form)."""
    found = catalog(language()).get((singular, plural))
    if isinstance(found, tuple) and found and found[0]:
        return found[0]
    return singular if n == 1 else plural


def N_(message: str) -> str:
    """Mark ``message`` for translation where it is defined; ``_()`` translates it where it is shown."""
    return message
