"""The rendered site's widget scripts, from the npm registry, checked against pinned hashes.

myst-nb renders widgets from the state saved in a notebook with two scripts: ``require.js`` and
``@jupyter-widgets/html-manager``'s ``embed-amd.js`` (its font files beside it). The site serves both
itself, so a page loads nothing from a CDN. ``python docs/vendor.py DIR`` fetches the two tarballs
once (later builds reuse ``DIR``), checks their npm ``integrity`` hashes, unpacks what the pages load
into ``DIR``, and removes the one remote reference the bundle holds (a Google Fonts ``@import``).

To move to a newer html-manager, take the tarball address and integrity from
``npm view @jupyter-widgets/html-manager@<version> dist.tarball dist.integrity``; the major version
must match ipywidgets' (1.x for ipywidgets 8).
"""

from __future__ import annotations

import base64
import hashlib
import io
import re
import shutil
import sys
import tarfile
import urllib.request
from pathlib import Path

REGISTRY = "https://registry.npmjs.org"
PACKAGES = {
    "html-manager": (
        f"{REGISTRY}/@jupyter-widgets/html-manager/-/html-manager-1.0.15.tgz",
        "sha512-5thBIV6ymNgmPVOHvzx+gGy8ZSKmSazhtGw4/c4xJDVzRhG9PTeQsRjF3FUTopvFi//SABeNz1yp47bCrJ3CQA==",
        re.compile(r"package/dist/(embed-amd\.js|[0-9a-f]{20}\.(woff2?|ttf))"),
    ),
    "requirejs": (
        f"{REGISTRY}/requirejs/-/requirejs-2.3.8.tgz",
        "sha512-7/cTSLOdYkNBNJcDMWf+luFvMriVm7eYxp4BcFCsAX0wF421Vyce5SXP17c+Jd5otXKGNehIonFlyQXSowL6Mw==",
        re.compile(r"package/(require\.js)"),
    ),
}
# The bundle's stylesheet asks Google for a monospace font; the pages fall back to the local one.
REMOTE_FONT = re.compile(r"@import url\(['\"]?https://fonts\.googleapis\.com/[^)]*\);?")
REQUIRE_CONFIG = "require.config({baseUrl: document.currentScript.src.replace(/[^/]*$/, '')});\n"
FONT_FOLDERS = ["@jupyter-widgets", "@jupyter-widgets/html-manager/dist"]
FONT_SUFFIXES = {".woff2", ".woff", ".ttf"}


def _fetch(url: str, integrity: str) -> bytes:
    algorithm, _, expected = integrity.partition("-")
    data = urllib.request.urlopen(url, timeout=60).read()
    got = base64.b64encode(hashlib.new(algorithm, data).digest()).decode()
    if got != expected:
        raise SystemExit(f"vendor: {url} does not match its pinned {algorithm} hash; refusing to use it")
    return data


def vendor(target: Path) -> Path:
    """Put ``require.js``, ``embed-amd.js`` and its fonts in ``target``; nothing is fetched twice."""
    target.mkdir(parents=True, exist_ok=True)
    stamp = target / ".vendored"
    pins = "\n".join([*(integrity for _, integrity, _ in PACKAGES.values()), REQUIRE_CONFIG])
    if stamp.exists() and stamp.read_text() == pins:
        return target
    for url, integrity, wanted in PACKAGES.values():
        with tarfile.open(fileobj=io.BytesIO(_fetch(url, integrity))) as tar:
            for member in tar.getmembers():
                match = wanted.fullmatch(member.name)
                if match and member.isfile():
                    (target / match.group(1)).write_bytes(tar.extractfile(member).read())
    bundle = target / "embed-amd.js"
    bundle.write_text(REMOTE_FONT.sub("", bundle.read_text()))
    # The bundle asks for its icon fonts beside the module's require.js address, which is relative to
    # require's baseUrl: set that to this folder, and put the fonts where the two modules look.
    (target / "require-config.js").write_text(REQUIRE_CONFIG)
    fonts = [f for f in target.iterdir() if f.suffix in FONT_SUFFIXES]
    for folder in FONT_FOLDERS:
        (target / folder).mkdir(parents=True, exist_ok=True)
        for font in fonts:
            shutil.copyfile(font, target / folder / font.name)
    for font in fonts:
        font.unlink()
    stamp.write_text(pins)
    return target


if __name__ == "__main__":
    print(vendor(Path(sys.argv[1] if len(sys.argv) > 1 else "build/static/widgets")))
