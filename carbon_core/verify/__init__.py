"""Verifier bundles: everything a third party needs to reproduce a result, and the check itself.

ISO 14064-3 asks a verifier to reproduce every reported figure from its inputs. A *bundle*
(:func:`make_bundle`) is one ZIP archive holding the inventory, its meter files, the whole factor
library (GWP table included), the balance policy, the programme bundle (indicator system), the
results and score JSON, the versions of the engine, plugins and Python packages, and a manifest of
every member's SHA-256 with one root hash over them; optionally an Ed25519 signature over the root
(:mod:`carbon_core.verify.signing`). :func:`verify_bundle` checks the archive and recomputes from
the bundle alone; :func:`explain_difference` explains two results of one factory and year by cause
(restatement).

Modules: :mod:`~carbon_core.verify.archive` (the container, hostile-input rules),
:mod:`~carbon_core.verify.bundle` (writing), :mod:`~carbon_core.verify.recompute` (checking),
:mod:`~carbon_core.verify.signing` (keys), :mod:`~carbon_core.verify.restate` (restatement).
"""

from __future__ import annotations

from .archive import BundleError, Limits, SignatureError
from .bundle import BundleInfo, make_bundle
from .recompute import Difference, Tolerance, VerifyReport, compare_documents, verify_bundle
from .restate import Restatement, explain_difference
from .signing import new_keypair

__all__ = ["BundleError", "SignatureError", "Limits", "BundleInfo", "make_bundle", "Difference",
           "Tolerance", "VerifyReport", "compare_documents", "verify_bundle", "Restatement",
           "explain_difference", "new_keypair"]
