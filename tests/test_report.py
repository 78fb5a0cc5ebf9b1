"""Reproduction report: per-study isolation, index.html content, images, CLI levels and errors."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import pytest

from opentangle._io import begin_outputs, record_outputs
from opentangle.cli import main
from opentangle.report import reproduce_all

TESTS = Path(__file__).parent
sys.path.insert(0, str(TESTS))

PNG = b"\x89PNG\r\n\x1a\n"
CHROMIUM = shutil.which("chromium") or ("/usr/bin/chromium" if os.path.exists("/usr/bin/chromium") else None)


class _Index(HTMLParser):
    def __init__(self):
        super().__init__()
        self.imgs, self.sections, self.cells, self._td = [], [], [], None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "img":
            self.imgs.append(a["src"])
        elif tag == "section":
            self.sections.append(a["id"])
        elif tag == "td":
            self._td = a.get("class", "")

    def handle_data(self, data):
        if self._td is not None:
            self.cells.append((self._td, data.strip()))
            self._td = None


def parse(index: Path) -> _Index:
    p = _Index()
    p.feed(index.read_text(encoding="utf-8"))
    return p


@pytest.fixture(scope="module")
def report(tmp_path_factory, monkeypatch_module):
    out = tmp_path_factory.mktemp("results")
    (out / "grid").mkdir()
    (out / "grid" / "precious.nc").write_bytes(b"the user's")  # not written by reproduce: must stay
    begin_outputs(out / "grid")
    (out / "grid" / "stale.png").write_bytes(b"old")  # from an earlier run (in its manifest): must disappear
    record_outputs(out / "grid")
    return reproduce_all(
        out, level="quick", studies=["sweepfakes.grid", "sweepfakes.broken", "sweepfakes.dies"], jobs=2
    )


@pytest.fixture(scope="module")
def monkeypatch_module():
    mp = pytest.MonkeyPatch()
    mp.setenv("PYTHONPATH", str(TESTS) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    mp.setenv("OMP_NUM_THREADS", "1")
    yield mp
    mp.undo()


def test_statuses_isolate_crashes_and_hangs(report):
    status = {s.name: s for s in report.studies}
    assert [s.name for s in report.studies] == ["sweepfakes.grid", "sweepfakes.broken", "sweepfakes.dies"]
    assert status["sweepfakes.grid"].status == "fail"  # one deliberately failing headline
    assert [h.passed for h in status["sweepfakes.grid"].headlines] == [True, False, None]
    assert status["sweepfakes.broken"].status == "error" and "simulated crash" in status["sweepfakes.broken"].error
    assert status["sweepfakes.dies"].status == "error" and "exit code 3" in status["sweepfakes.dies"].error
    assert not report.passed and "grid=fail" in repr(report)


def test_hanging_study_times_out(tmp_path, monkeypatch_module):
    rep = reproduce_all(tmp_path, level="quick", studies=["sweepfakes.hang"], timeout=3)
    assert rep.studies[0].status == "timeout" and "time limit" in rep.studies[0].error


def test_index_has_sections_tables_and_valid_images(report):
    index = report.out / "index.html"
    p = parse(index)
    assert p.sections == [s.name for s in report.studies]
    assert p.imgs == ["grid/map.png"]  # the stale file is gone, the invalid PNG of 'dies' is not shown
    assert not (report.out / "grid" / "stale.png").exists()
    assert (report.out / "grid" / "precious.nc").read_bytes() == b"the user's"
    assert "precious.nc" not in index.read_text()
    for src in p.imgs:
        data = (index.parent / src).read_bytes()
        assert data[:8] == PNG and data[12:16] == b"IHDR"
    marks = [c for c in p.cells if c[0] in ("ok", "bad")]
    assert marks == [("ok", "\u2713 pass"), ("bad", "\u2717 fail")]
    text = index.read_text()
    assert "0.0915064" in text and "simulated crash" in text and "grid/map.nc" in text
    summary = json.loads((report.out / "headlines.json").read_text())
    assert summary["level"] == "quick" and summary["studies"][0]["headlines"][0]["passed"] is True


def test_no_studies_gives_an_empty_report(tmp_path, monkeypatch):
    import opentangle.studies

    monkeypatch.setattr(opentangle.studies, "available_studies", dict)
    rep = reproduce_all(tmp_path, level="quick")
    assert rep.studies == [] and rep.passed and "No studies" in (tmp_path / "index.html").read_text()


@pytest.mark.parametrize(
    "argv, needle",
    [
        (["reproduce", "--quick", "--full"], "exclude each other"),
        (["reproduce", "--study", "nostudy"], "unknown study"),
        (["reproduce", "--jobs", "0"], "--jobs"),
        (["reproduce", "--timeout", "-1", "--study", "sweepfakes.broken"], "--timeout"),
    ],
)
def test_cli_bad_input(argv, needle, capsys, tmp_path):
    with pytest.raises(SystemExit) as exc:
        main(argv + ["--out", str(tmp_path / "r")])
    err = capsys.readouterr().err
    assert exc.value.code == 2 and needle in err and err.count("\n") == 1


def test_cli_unwritable_out(capsys, tmp_path):
    (tmp_path / "file").write_text("")
    with pytest.raises(SystemExit) as exc:
        main(["reproduce", "--out", str(tmp_path / "file"), "--study", "sweepfakes.broken"])
    assert exc.value.code == 2 and "cannot write the report folder" in capsys.readouterr().err


def test_cli_exit_code_reflects_failures(capsys, tmp_path, monkeypatch):
    monkeypatch.setenv("PYTHONPATH", str(TESTS))
    with pytest.raises(SystemExit) as exc:
        main(["reproduce", "--quick", "--out", str(tmp_path), "--study", "sweepfakes.broken", "--json"])
    out = json.loads(capsys.readouterr().out)
    assert exc.value.code == 1 and out["studies"][0]["status"] == "error"


@pytest.mark.skipif(CHROMIUM is None, reason="headless Chromium (Debian package 'chromium') not installed")
def test_headless_chromium_loads_every_image(report, tmp_path):
    index = (report.out / "index.html").resolve()
    flags = [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--allow-file-access-from-files",
        "--virtual-time-budget=5000",
    ]
    dom = subprocess.run([CHROMIUM, *flags, "--dump-dom", index.as_uri()], capture_output=True, text=True, timeout=120)
    assert 'data-images="ok:1"' in dom.stdout, dom.stderr[-2000:]
    shot = report.out / "screenshot.png"
    subprocess.run(
        [CHROMIUM, *flags, f"--screenshot={shot}", "--window-size=1200,1600", index.as_uri()],
        capture_output=True,
        timeout=120,
    )
    assert shot.read_bytes()[:8] == PNG


@pytest.mark.slow
def test_real_studies_quick(tmp_path):
    """Every installed study's quick reproduce, end to end (SLOW=1)."""
    rep = reproduce_all(tmp_path, level="quick", jobs=2)
    p = parse(tmp_path / "index.html")
    assert p.sections == [s.name for s in rep.studies]
    for src in p.imgs:
        assert (tmp_path / src).read_bytes()[:8] == PNG
    bad = [s for s in rep.studies if s.status in ("error", "timeout")]
    assert not bad, [(s.name, s.error) for s in bad]


# ----------------------------------------------------------------------------- row kinds
def _kinds_report(tmp_path):
    from opentangle.report import Report, _finish
    from opentangle.studies._base import Headline

    rows = [
        Headline.compare("analytic check", 1.0, 1.0, 1e-9, source="analytic"),
        Headline.info("normalisation", 1.0, note="sum of probabilities"),
        Headline.refuted("popular claim F >= 1", 0.93, reproduced=True, reference=1.0),
    ]
    out = tmp_path / "s"
    out.mkdir()
    st = _finish("s", out, tmp_path, ("ok", [r.as_dict() for r in rows]), 0.1, 0)
    return Report(tmp_path, "quick", [st], 0.1), st


def test_row_kinds_render_in_html_and_json(tmp_path):
    from opentangle.report import write_index

    rep, st = _kinds_report(tmp_path)
    assert [h.kind for h in st.headlines] == ["check", "info", "refuted"]
    # an info row and a reproduced refutation never count as a pass, nor make the study fail
    assert st.status == "pass" and st.counts() == {
        "check_pass": 1,
        "check_fail": 0,
        "info": 1,
        "refuted": 1,
        "refutation_failed": 0,
    }
    p = parse(write_index(rep))
    marks = [c for c in p.cells if c[0] in ("ok", "bad", "info", "refuted")]
    assert marks == [("ok", "\u2713 pass"), ("info", "info"), ("refuted", "\u26a0 claim refuted")]
    text = (tmp_path / "index.html").read_text()
    assert 'data-kind="info"' in text and "1 checks pass" in text and "1 claims refuted" in text
    js = rep.summary()["studies"][0]
    assert [h["kind"] for h in js["headlines"]] == ["check", "info", "refuted"]
    assert js["headlines"][1]["passed"] is None and js["counts"]["info"] == 1


def test_info_row_never_has_a_pass_mark():
    from opentangle.errors import InvalidParameterError
    from opentangle.studies._base import Headline

    with pytest.raises(InvalidParameterError, match="no pass mark"):
        Headline(label="theorem", value=-1.0, passed=True, kind="info")
    with pytest.raises(InvalidParameterError, match="needs passed"):
        Headline(label="x", value=1.0, kind="check")
    with pytest.raises(InvalidParameterError, match="kind must be"):
        Headline(label="x", value=1.0, passed=True, kind="green")
    h = Headline(label="legacy", value=1.0)  # existing calls keep working: no passed -> info
    assert h.kind == "info" and not h.counts_as_pass
    assert Headline(**Headline.info("t", 2.0).as_dict()).kind == "info"  # round trip through the child pipe


def test_failed_refutation_fails_the_study(tmp_path):
    from opentangle.report import _finish
    from opentangle.studies._base import Headline

    rows = [Headline.refuted("claim", 1.0, reproduced=False)]
    st = _finish("s", tmp_path, tmp_path, ("ok", [r.as_dict() for r in rows]), 0.1, 0)
    assert st.status == "fail" and st.counts()["refutation_failed"] == 1
