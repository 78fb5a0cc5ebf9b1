"""The documentation sources: generated API reference coverage, the Sphinx-role conversion, nav, notebooks.

These run without building the site (``make docs`` does that, in CI too). None needs the network.
"""

from __future__ import annotations

import importlib.util
import json
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
SCRIPTS = DOCS / "_scripts"


def _load(name: str):
    spec = importlib.util.spec_from_file_location(f"_docs_{name}", SCRIPTS / f"{name}.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def _modules_on_disk() -> set[str]:
    """Public modules found by walking src/ (independent of pkgutil)."""
    src = ROOT / "src"
    out = set()
    for f in (src / "opentangle").rglob("*.py"):
        parts = list(f.relative_to(src).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        if not any(p.startswith("_") for p in parts):
            out.add(".".join(parts))
    return out


def test_every_public_module_gets_a_reference_page():
    pytest.importorskip("mkdocs_gen_files")
    gen = _load("gen_ref")
    listed = gen.public_modules()
    assert set(listed) == _modules_on_disk()
    paths = [gen.page_path(m) for m in listed]
    assert len(set(paths)) == len(paths)
    assert gen.page_path("opentangle.lindblad") == "reference/opentangle/lindblad/index.md"
    assert gen.page_path("opentangle.lindblad.steady") == "reference/opentangle/lindblad/steady.md"


def test_built_site_has_a_page_per_public_module():
    site = ROOT / "site"
    if not (site / "index.html").is_file():
        pytest.skip("site/ not built (make docs)")
    missing = []
    for m in sorted(_modules_on_disk()):
        parts = m.split(".")
        if not ((site / "reference" / Path(*parts) / "index.html").is_file()):
            missing.append(m)
    assert not missing, f"public modules without an API page (rebuild with make docs): {missing}"


@pytest.fixture(scope="module")
def roles():
    pytest.importorskip("griffe")
    return _load("sphinx_roles")


def test_math_roles_become_arithmatex(roles):
    assert roles.convert(r"rate :math:`\gamma_k \ge 0` here") == r"rate \(\gamma_k \ge 0\) here"
    out = roles.convert("Text\n\n.. math::\n    a = b\n        + c\n\nafter\n")
    assert "$$\na = b\n+ c\n$$" in out and out.rstrip().endswith("after") and ".. math::" not in out


def test_math_directive_keeps_indentation_inside_sections(roles):
    out = roles.convert("Notes\n-----\n    .. math:: x = 1\n\n    more\n")
    assert "    $$\n    x = 1\n    $$" in out and "    more" in out


def test_cross_reference_roles_become_optional_autorefs(roles):
    out = roles.convert("see :func:`~opentangle.lindblad.steady_state` and :class:`Model`")
    assert (
        '<autoref identifier="opentangle.lindblad.steady_state" optional><code>steady_state()</code></autoref>' in out
    )
    assert '<autoref identifier="Model" optional><code>Model</code></autoref>' in out
    assert ":func:" not in out and ":class:" not in out


def test_singular_example_section_becomes_examples(roles):
    out = roles.convert("Sum.\n\n    Example\n    -------\n    >>> 1\n    1\n")
    assert "    Examples\n    --------\n    >>> 1" in out


def test_no_unknown_sphinx_roles_left_in_sources(roles):
    """Every role used in a docstring is one the extension converts (a new role would render raw)."""
    known = {"math", "func", "class", "mod", "meth", "attr", "exc", "data", "obj", "const"}
    used = set()
    for f in (ROOT / "src" / "opentangle").rglob("*.py"):
        used |= set(re.findall(r"(?<![\w:]):([a-z]+):`", f.read_text(encoding="utf-8")))
    assert used <= known, f"unconverted Sphinx roles: {sorted(used - known)}"


def test_nav_points_at_existing_pages():
    text = (ROOT / "mkdocs.yml").read_text(encoding="utf-8")
    nav = text[text.index("\nnav:") :]
    targets = re.findall(r":\s*([\w./-]+\.(?:md|ipynb))\s*$", nav, flags=re.MULTILINE)
    assert targets
    for t in targets:
        assert (DOCS / t).is_file(), t
    for page in DOCS.glob("*.md"):  # every docs/*.md page is in the nav
        assert page.name in targets, f"docs/{page.name} is not in the mkdocs.yml nav"


def test_tutorial_notebooks_are_committed_without_outputs():
    notebooks = sorted((DOCS / "tutorials").glob("*.ipynb"))
    assert len(notebooks) >= 4
    for nb in notebooks:
        cells = json.loads(nb.read_text(encoding="utf-8"))["cells"]
        assert cells[0]["cell_type"] == "markdown" and cells[0]["source"]
        for c in cells:
            if c["cell_type"] == "code":
                assert not c.get("outputs") and c.get("execution_count") is None, f"{nb.name} has outputs"


def test_prose_in_the_type_slot_moves_to_the_description(roles):
    doc = (
        "Parameters\n----------\ntol : bound on the residual; absolute.\n    more text\n"
        "study : str or :class:`module`\n    Study name.\n\nRaises\n------\n"
        "ConvergenceError : residual above ``tol``.\n"
    )
    out = roles.convert(doc)
    assert "tol\n    bound on the residual; absolute.\n    more text" in out
    assert "study : str or module\n    Study name." in out
    assert "ConvergenceError\n    residual above ``tol``." in out
