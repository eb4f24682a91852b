"""Every notebook in notebooks/ runs top to bottom without an error.

Each notebook is executed with nbclient in a kernel of the interpreter running the tests (a
kernelspec for ``sys.executable`` installed in a temporary directory, so that no other
"python3" kernel on the machine is picked), from the notebooks directory (relative paths as
for a reader). The executed copy is discarded: the repository's notebooks are never written.
"""

import json
import sys
from pathlib import Path

import pytest

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")
pytest.importorskip("ipykernel")
pytest.importorskip("matplotlib")

NOTEBOOKS_DIR = Path(__file__).resolve().parents[1] / "notebooks"
NOTEBOOKS = sorted(NOTEBOOKS_DIR.glob("*.ipynb"))
CELL_TIMEOUT = 240  # seconds per cell: generous for a cold Numba cache on a loaded machine
KERNEL = "glassworks-tests"


@pytest.fixture(scope="module")
def kernel_name(tmp_path_factory):
    root = tmp_path_factory.mktemp("jupyter")
    spec = root / "kernels" / KERNEL
    spec.mkdir(parents=True)
    (spec / "kernel.json").write_text(json.dumps({
        "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": "glassworks tests",
        "language": "python",
    }))
    mp = pytest.MonkeyPatch()
    import os

    mp.setenv("JUPYTER_PATH", os.pathsep.join([str(root), os.environ.get("JUPYTER_PATH", "")]))
    yield KERNEL
    mp.undo()


def test_kernel_is_this_interpreter(kernel_name):
    from jupyter_client.kernelspec import KernelSpecManager

    spec = KernelSpecManager().get_kernel_spec(kernel_name)
    assert spec.argv[0] == sys.executable


def test_there_are_notebooks():
    names = {p.name for p in NOTEBOOKS}
    for expected in ("01_glass_box_models.ipynb", "02_can_i_trust_lime_and_shap.ipynb",
                     "03_maple.ipynb", "04_which_shapley_value.ipynb",
                     "05_rule_lists_on_compas.ipynb", "06_what_does_lime_compute.ipynb",
                     "07_which_explainer_answers_which_question.ipynb"):
        assert expected in names


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_runs(path, kernel_name):
    before = path.read_bytes()
    nb = nbformat.read(path, as_version=4)
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.outputs = []
    client = nbclient.NotebookClient(
        nb, kernel_name=kernel_name, timeout=CELL_TIMEOUT, allow_errors=False,
        resources={"metadata": {"path": str(NOTEBOOKS_DIR)}},
    )
    client.execute()  # raises CellExecutionError on the first failing cell
    code_cells = [c for c in nb.cells if c.cell_type == "code"]
    assert code_cells and all(c.get("execution_count") for c in code_cells)
    errors = [o for c in code_cells for o in c.outputs if o.get("output_type") == "error"]
    assert not errors
    assert path.read_bytes() == before  # the repository's copy is untouched


def test_notebooks_and_gallery_stay_small():
    # executed notebooks keep their outputs in the repository: keep them light
    for path in NOTEBOOKS:
        assert path.stat().st_size < 300 * 1024, path.name
    images = sorted((NOTEBOOKS_DIR.parent / "docs" / "images").glob("*.png"))
    for path in images:
        assert path.stat().st_size < 100 * 1024, path.name
