"""``import glassworks`` must stay cheap: no Numba compilation, no optional dependencies."""

import subprocess
import sys
import textwrap


def test_import_compiles_nothing_and_loads_no_optional_dependency():
    code = textwrap.dedent(
        """
        import sys
        import glassworks
        heavy = [m for m in ("numba", "shap", "lime", "matplotlib", "pyspark") if m in sys.modules]
        print(",".join(heavy))
        """
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout.strip()
    assert out == "", f"import glassworks pulled in: {out}"


def test_lazy_exports_resolve():
    import glassworks

    assert glassworks.Explanation.__name__ == "Explanation"
    assert "DecisionTreeClassifier" in dir(glassworks)
    try:
        glassworks.not_a_thing
    except AttributeError as exc:
        assert "not_a_thing" in str(exc)
    else:  # pragma: no cover
        raise AssertionError("unknown attribute did not raise")


def test_audit_stays_the_function_after_submodule_imports():
    # a subpackage named like the exported function would shadow it once imported
    code = textwrap.dedent(
        """
        import glassworks.comparator.scenarios
        import glassworks
        from glassworks import audit
        assert callable(glassworks.audit) and audit is glassworks.audit
        assert glassworks.audit.__module__ == "glassworks.comparator.runner"
        """
    )
    subprocess.run([sys.executable, "-c", code], check=True)
