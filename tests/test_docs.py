"""The documentation site builds with warnings as errors and documents every public class.

The build renders the stored notebook outputs (it never executes them) and imports glassworks
without calling any Numba kernel, so it takes seconds, not minutes.
"""

import inspect
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("sphinx")
pytest.importorskip("numpydoc")
pytest.importorskip("myst_nb")
pytest.importorskip("pydata_sphinx_theme")

import glassworks  # noqa: E402
from glassworks.comparator import (estimands, explainers, ground_truth, scenarios,  # noqa: E402
                                   use_cases)

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"


def _public_classes(module):
    names = getattr(module, "__all__", None) or vars(module)
    return sorted(
        name for name in names
        if not name.startswith("_")
        and inspect.isclass(getattr(module, name))
        and getattr(module, name).__module__.startswith("glassworks")
    )


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    out = tmp_path_factory.mktemp("html")
    env = dict(os.environ, PYTHONPATH=str(ROOT / "src"))
    proc = subprocess.run(
        [sys.executable, "-m", "sphinx", "-W", "--keep-going", "-q", "-b", "html",
         str(DOCS), str(out)],
        capture_output=True, text=True, timeout=600, env=env, cwd=ROOT,
    )
    assert proc.returncode == 0, proc.stderr[-5000:]
    return out


def test_api_page_documents_every_public_class(site):
    api = (site / "api.html").read_text(encoding="utf-8")
    expected = {f"glassworks.{n}": n for n in glassworks.__all__ if n != "__version__"}
    for module in (explainers, scenarios, estimands, ground_truth, use_cases):
        for name in _public_classes(module):
            expected[f"{module.__name__}.{name}"] = name
    assert len(expected) > 30
    missing = [full for full, name in expected.items()
               if name not in api or not (site / "generated" / f"{full}.html").is_file()]
    assert not missing, f"not in the API reference: {missing}"


def test_class_pages_show_their_methods(site):
    page = (site / "generated" / "glassworks.DecisionTreeClassifier.html").read_text("utf-8")
    for method in ("fit", "predict_proba", "explain"):
        assert f"DecisionTreeClassifier.{method}" in page


def test_user_guide_and_notebooks_are_rendered(site):
    guide = (site / "user_guide.html").read_text(encoding="utf-8")
    # the README's sections, with its gallery images found from docs/
    assert "First use: compile time" in guide and "The models" in guide
    for image in sorted((DOCS / "images").glob("*.png")):
        assert f'src="_images/{image.name}"' in guide, image.name
    gallery = (site / "gallery.html").read_text(encoding="utf-8")
    notebooks = sorted(p.stem for p in (ROOT / "notebooks").glob("*.ipynb"))
    assert notebooks
    # the README's links to notebooks become links to their pages
    linked = re.findall(r"\]\(notebooks/([\w.-]+)\.ipynb\)", (ROOT / "README.md").read_text("utf-8"))
    assert linked
    for name in linked:
        assert f'href="notebooks/{name}.html"' in guide, name
    for name in notebooks:
        assert f'href="notebooks/{name}.html"' in gallery, name
        page = (site / "notebooks" / f"{name}.html").read_text(encoding="utf-8")
        # the stored outputs are shown: every notebook has at least one output cell
        assert "cell_output" in page, name
