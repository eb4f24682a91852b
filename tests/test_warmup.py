"""``glassworks compile`` (glassworks.warmup): it fills an empty Numba cache, and a new process
then loads every kernel it runs from there instead of compiling it.

One family only (the rule list's, among the cheapest to compile), in subprocesses with their
own NUMBA_CACHE_DIR: the other families run the same machinery (``compile_kernels``) and are
exercised by ``benchmarks/bench_coldstart.py`` and the README's ``glassworks compile``.
"""

import os
import subprocess
import sys

import pytest

from glassworks.warmup import FAMILIES, cache_location, compile_kernels

# in a new process: run the family's warm-up again, then count the dispatchers' cache
# loads and compiles (every glassworks module's, the serial twins' included)
_RECHECK = """
import sys
from numba.core.registry import CPUDispatcher
from glassworks import warmup
warmup._run("rules")
hits = misses = 0
for name, mod in list(sys.modules.items()):
    if not name.startswith("glassworks"):
        continue
    for obj in list(vars(mod).values()):
        for d in (obj, getattr(obj, "parallel", None), getattr(obj, "serial", None)):
            if isinstance(d, CPUDispatcher):
                hits += sum(d.stats.cache_hits.values())
                misses += sum(d.stats.cache_misses.values())
print(f"hits {hits} misses {misses}")
"""


def _env(cache):
    env = dict(os.environ)
    env["NUMBA_CACHE_DIR"] = str(cache)
    env.pop("NUMBA_DISABLE_JIT", None)
    return env


def test_compile_fills_an_empty_cache_and_a_new_process_finds_it_warm(tmp_path):
    cache = tmp_path / "numba-cache"
    run = subprocess.run(
        [sys.executable, "-m", "glassworks.cli", "compile", "--families", "rules", "--jobs", "1"],
        env=_env(cache), capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stderr
    assert f"Numba cache: {cache}" in run.stdout
    assert "rules" in run.stdout and "compiled 1 families" in run.stdout
    assert list(cache.rglob("*.nbi")) and list(cache.rglob("*.nbc"))
    again = subprocess.run([sys.executable, "-c", _RECHECK], env=_env(cache),
                           capture_output=True, text=True, timeout=600)
    assert again.returncode == 0, again.stderr
    hits, misses = (int(x) for x in again.stdout.split()[1::2])
    assert hits > 0 and misses == 0, again.stdout


def test_compile_rejects_an_unknown_family(capsys):
    from glassworks.cli import main

    assert main(["compile", "--families", "tree,nope", "--jobs", "1"]) == 2
    assert "unknown families ['nope']" in capsys.readouterr().err
    with pytest.raises(ValueError, match="unknown families"):
        compile_kernels(["nope"])
    assert set(FAMILIES) == {"tree", "forest", "categorical", "maple", "rules", "audit"}


def test_cache_location_follows_numba_cache_dir():
    from numba.core import config

    if config.CACHE_DIR:
        assert cache_location() == os.path.abspath(config.CACHE_DIR)
    else:
        assert os.path.isabs(cache_location())
