"""A city's portfolio: many factories computed and scored on dask.distributed, then aggregated.

::

    from carbon_core.portfolio import load_manifest, run_portfolio, aggregate
    manifest = load_manifest("city/portfolio.toml")      # or a folder of inventories
    run = run_portfolio(manifest)                        # a LocalCluster sized to the machine
    doc = aggregate(run, manifest)                       # totals, balance, scores, ranking, goal

Each factory runs as one task (:func:`~carbon_core.portfolio.worker.run_factory`) that returns
plain JSON-able dicts: quantities never travel between the client and the workers, only float
numbers and unit strings. Every worker checks that the factor edition it loads has the client's
hash, and refuses to compute otherwise, so every factory of a city is computed with the same
library. A factory that fails is reported by name and does not stop the others; a task whose worker
dies is retried, then reported: no factory is ever silently missing from the aggregate.
"""

from __future__ import annotations

from .aggregate import aggregate
from .manifest import Manifest, FactoryEntry, load_manifest
from .run import ClusterError, PortfolioRun, local_cluster, run_portfolio, run_serial
from .worker import FactoryOutcome, factor_edition_digest, run_factory

__all__ = [
    "Manifest",
    "FactoryEntry",
    "load_manifest",
    "PortfolioRun",
    "run_portfolio",
    "run_serial",
    "local_cluster",
    "ClusterError",
    "aggregate",
    "FactoryOutcome",
    "run_factory",
    "factor_edition_digest",
]
