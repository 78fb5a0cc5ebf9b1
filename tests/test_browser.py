"""What a user sees, in a real browser: the reproduction report and the documentation site.

Each page is opened in headless Chromium (Debian package ``chromium``), every ``<img>`` must have
loaded (``img.complete && img.naturalWidth > 0``, checked by a script the test server adds to each
HTML page and read back through ``--dump-dom``), and a screenshot is taken.

Where the pages come from:

* the report: ``$OPENTANGLE_REPORT`` (a folder written by ``opentangle reproduce --quick``; ``.ci/run``
  makes it once for the docs and these tests), else a fresh ``reproduce --quick`` into a tmp dir
  when ``CI=true`` or ``SLOW=1`` (a few minutes), else skipped;
* the site: ``$OPENTANGLE_SITE`` or ``site/`` (``make docs``).

Outside CI a missing Chromium or site skips these tests; in CI (``CI=true``) it fails them, so the
browser checks can never be skipped silently there. Screenshots go to ``$OPENTANGLE_SCREENSHOTS``
when set, else to the test's tmp dir. No test here needs the network or a GPU: the pages are
served from 127.0.0.1 and nothing fetched from elsewhere is required.
"""

from __future__ import annotations

import functools
import http.server
import os
import re
import shutil
import subprocess
import sys
import threading
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PNG = b"\x89PNG\r\n\x1a\n"
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")
SLOW = os.environ.get("SLOW", "0") not in ("", "0")
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
    "--hide-scrollbars",
    "--virtual-time-budget=10000",
]

# Added before </body> of every served HTML page: make lazy images load, wait for each to settle,
# then record the verdict on <body data-browser-images="ok:N" | "broken:K/N:first-src">.
CHECK = b"""<script>
window.addEventListener('load', function () {
  var imgs = Array.prototype.slice.call(document.images);
  imgs.forEach(function (i) { i.loading = 'eager'; });
  Promise.all(imgs.map(function (i) {
    return i.complete ? null : new Promise(function (r) { i.addEventListener('load', r); i.addEventListener('error', r); });
  })).then(function () {
    var bad = imgs.filter(function (i) { return !(i.complete && i.naturalWidth > 0); });
    document.body.setAttribute('data-browser-images', bad.length
      ? 'broken:' + bad.length + '/' + imgs.length + ':' + bad[0].getAttribute('src').slice(0, 80)
      : 'ok:' + imgs.length);
  });
});
</script>"""


def _missing(what: str) -> None:
    """Fail in CI (a browser test must never be skipped there), skip elsewhere."""
    if IN_CI:
        pytest.fail(f"{what} (CI=true: the browser tests must run)")
    pytest.skip(what)


@pytest.fixture(scope="module")
def chromium() -> str:
    exe = shutil.which("chromium") or ("/usr/bin/chromium" if os.path.exists("/usr/bin/chromium") else None)
    if exe is None:
        _missing("headless Chromium not installed (apt-get install chromium)")
    return exe


class _Handler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):  # quiet
        pass

    def send_head(self):
        path = Path(self.translate_path(self.path))
        if path.is_dir():
            path = path / "index.html"
        if path.suffix != ".html" or not path.is_file():
            return super().send_head()
        body = path.read_bytes()
        body = body.replace(b"</body>", CHECK + b"</body>", 1) if b"</body>" in body else body + CHECK
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        import io

        return io.BytesIO(body)


@pytest.fixture(scope="module")
def serve():
    """``serve(folder) -> base URL`` of a 127.0.0.1 server for that folder (stopped after the module)."""
    servers = []

    def start(folder: Path) -> str:
        handler = functools.partial(_Handler, directory=str(folder))
        srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        threading.Thread(target=srv.serve_forever, daemon=True).start()
        servers.append(srv)
        return f"http://127.0.0.1:{srv.server_address[1]}/"

    yield start
    for srv in servers:
        srv.shutdown()
        srv.server_close()


@pytest.fixture(scope="module")
def shots(tmp_path_factory) -> Path:
    out = (
        Path(os.environ["OPENTANGLE_SCREENSHOTS"])
        if os.environ.get("OPENTANGLE_SCREENSHOTS")
        else (tmp_path_factory.mktemp("screenshots"))
    )
    out.mkdir(parents=True, exist_ok=True)
    return out


def _open(chromium: str, url: str, profile: Path) -> str:
    """The DOM of ``url`` after load (and the image check) in headless Chromium."""
    proc = subprocess.run(
        [chromium, *FLAGS, f"--user-data-dir={profile}", "--dump-dom", url], capture_output=True, text=True, timeout=180
    )
    assert proc.returncode == 0, f"chromium exited {proc.returncode} on {url}: {proc.stderr[-2000:]}"
    return proc.stdout


def _screenshot(chromium: str, url: str, profile: Path, png: Path) -> None:
    png.unlink(missing_ok=True)
    subprocess.run(
        [chromium, *FLAGS, f"--user-data-dir={profile}", f"--screenshot={png}", "--window-size=1280,1600", url],
        capture_output=True,
        timeout=180,
    )
    assert png.is_file() and png.read_bytes()[:8] == PNG, f"no screenshot of {url}"
    assert png.stat().st_size > 10_000, f"screenshot of {url} is suspiciously small (blank page?)"


def _images_ok(dom: str, url: str, expect_images: bool) -> int:
    m = re.search(r'data-browser-images="([^"]*)"', dom)
    assert m, f"the image check did not run on {url} (page did not finish loading?)"
    verdict = m.group(1)
    assert verdict.startswith("ok:"), f"{url}: images failed to load: {verdict}"
    n = int(verdict[3:])
    assert n > 0 or not expect_images, f"{url}: expected images, found none"
    return n


# ----------------------------------------------------------------------------- the report


@pytest.fixture(scope="module")
def report_dir(tmp_path_factory) -> Path:
    env = os.environ.get("OPENTANGLE_REPORT")
    if env:
        d = Path(env)
        if not (d / "index.html").is_file():
            pytest.fail(f"OPENTANGLE_REPORT={env} holds no index.html")
        return d
    if not (IN_CI or SLOW):
        pytest.skip("set OPENTANGLE_REPORT=<reproduce --out dir> or SLOW=1 to run reproduce --quick here")
    d = tmp_path_factory.mktemp("report")
    proc = subprocess.run(
        [sys.executable, "-m", "opentangle.cli", "reproduce", "--quick", "--out", str(d)],
        capture_output=True,
        text=True,
        timeout=1500,
        env={**os.environ, "OMP_NUM_THREADS": "1"},
    )
    assert (d / "index.html").is_file(), proc.stderr[-3000:]
    return d


def test_report_in_chromium(chromium, serve, report_dir, shots, tmp_path):
    url = serve(report_dir) + "index.html"
    dom = _open(chromium, url, tmp_path / "profile")
    n = _images_ok(dom, url, expect_images=True)
    figures = len(re.findall(r"<img ", (report_dir / "index.html").read_text(encoding="utf-8")))
    assert n == figures
    # the report's own check (its inline script) agrees
    assert f'data-images="ok:{figures}"' in dom
    _screenshot(chromium, url, tmp_path / "profile", shots / "report.png")


# ----------------------------------------------------------------------------- the docs site


@pytest.fixture(scope="module")
def site_dir() -> Path:
    d = Path(os.environ.get("OPENTANGLE_SITE", ROOT / "site"))
    if not (d / "index.html").is_file():
        _missing(f"no built documentation site in {d} (run `make docs`)")
    return d


def _pages_with_images(site: Path) -> list[str]:
    pages = []
    for f in sorted(site.rglob("*.html")):
        if "<img" in f.read_text(encoding="utf-8", errors="replace"):
            pages.append(f.relative_to(site).as_posix())
    return pages


def test_site_pages_load_every_image(chromium, serve, site_dir, tmp_path):
    base = serve(site_dir)
    pages = _pages_with_images(site_dir)
    gallery = [p for p in pages if p.startswith("gallery/")]
    tutorials = [p for p in pages if p.startswith("tutorials/")]
    assert gallery, "the gallery has no page with a figure"
    assert tutorials, "no tutorial shows a figure"
    total = 0
    for page in pages:
        total += _images_ok(_open(chromium, base + page, tmp_path / "profile"), base + page, expect_images=True)
    assert total >= len(pages)


def test_site_home_and_reference_render(chromium, serve, site_dir, shots, tmp_path):
    base = serve(site_dir)
    home = _open(chromium, base + "index.html", tmp_path / "profile")
    _images_ok(home, base, expect_images=False)
    assert "opentangle" in home and 'href="reference/opentangle/' in home
    ref = _open(chromium, base + "reference/opentangle/lindblad/model/", tmp_path / "profile")
    assert "Model" in ref and 'class="arithmatex"' in ref  # docstrings rendered, math marked up
    assert ":math:`" not in ref and ":func:`" not in ref  # no raw Sphinx roles left
    _screenshot(chromium, base + "index.html", tmp_path / "profile", shots / "site-home.png")
    first_gallery = next(p for p in _pages_with_images(site_dir) if p.startswith("gallery/"))
    _screenshot(chromium, base + first_gallery, tmp_path / "profile", shots / "site-gallery.png")
