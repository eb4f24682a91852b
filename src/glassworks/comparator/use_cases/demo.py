"""The use-case demo of ``glassworks audit``: the Slack et al. scaffold on COMPAS (biased on
sex, an innocent column off the data) and an honest control, audited with the
``protected_attribute`` and ``shortcut`` use cases. Skipped, with a note, when the COMPAS
copy (``../shared/data/compas`` or ``$GLASSWORKS_DATA``) is absent."""

import numpy as np

from .protected_attribute import compas_scaffold_models, find_compas, load_compas

#: COMPAS rows the demo reads (the data manifold), explains, and uses as background.
N_DATA, N_EXPLAIN, N_BACKGROUND = 2000, 20, 50


def compas_demo(seed=0, explainers=None, use_cases=("protected_attribute", "shortcut"),
                data_dir=None):
    """Audit the COMPAS scaffold and its control. Returns ``[(title, AuditReport), ...]``,
    empty when COMPAS is not found."""
    from ..runner import audit

    path = find_compas(data_dir)
    if path is None:
        return []
    X, _ = load_compas(path, n_rows=N_DATA, random_state=seed)
    rng = np.random.default_rng(seed)
    rows = X.iloc[np.sort(rng.choice(len(X), N_EXPLAIN, replace=False))]
    bg = X.iloc[np.sort(rng.choice(len(X), N_BACKGROUND, replace=False))]
    models = compas_scaffold_models(X, background=bg.to_numpy(), rows=rows.to_numpy(),
                                    random_state=seed)
    out = []
    for k, (name, model) in enumerate(models.items()):
        # the shortcut family does not depend on the scaffold: run it once
        ucs = [u for u in use_cases if k == 0 or u != "shortcut"]
        rep = audit(model, rows, background=bg, explainers=explainers, random_state=seed,
                    use_cases=ucs, protected=["sex", "unrelated"], data=X)
        out.append((f"COMPAS {name}, Slack et al. scaffold (innocent column: unrelated)", rep))
    return out
