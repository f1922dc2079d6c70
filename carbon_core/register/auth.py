"""One authorization function for the register: :func:`permission_allowed`.

As datasette reduces its access model to one question ("may this actor perform this action,
optionally against this resource?", ``permission_allowed``), every register command, its CLI and
the web layer ask this one function. Who may take a procedure step comes from the procedure file
(``roles`` of each stage); the scope of each role is the register's:

- ``enterprise:<credit code>`` acts only on itself;
- ``district:<district id>`` acts only on enterprises of its own district;
- ``expert:<id>`` acts only on the applications assigned to it;
- ``city:<id>`` acts on every enterprise;
- ``public`` (no id) reads only the published documents (notice, list, revocations).

Examples
--------
>>> from carbon_core.register.procedure import load_procedure
>>> p = load_procedure()           # the default programme's procedure
>>> permission_allowed(Actor.parse("district:经开区"), "recommend", p, district="蜀山区").allowed
False
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from .errors import PermissionDenied, RegisterError
from .procedure import ROLES, Procedure

__all__ = ["Actor", "Decision", "permission_allowed", "check_permission", "VIEWS"]

#: Read-only views and who may use them (scope rules as for the steps).
VIEWS: dict[str, tuple[str, ...]] = {
    "status": ("enterprise", "district", "city", "expert"),
    "history": ("enterprise", "district", "city", "expert"),
    "ranking": ("district", "city"),
    "district_summary": ("district", "city"),
    "city_view": ("city",),
    "verify": ("city",),
    "export": ("public", "enterprise", "district", "city", "expert"),
}

_ID = re.compile(r"^[\w\-.\u3400-\u9fff]{1,80}$")


@dataclass(frozen=True)
class Actor:
    """Who acts: a role and an id (credit code, district id, expert id, city office id).

    Attributes
    ----------
    role : str
        One of the procedure's roles (``enterprise``, ``district``, ``city``, ``expert``) or
        ``public``.
    id : str
        The credit code, district id, city office id or expert id (empty for ``public``).
    """

    role: str
    id: str = ""

    @classmethod
    def parse(cls, text: str) -> "Actor":
        """``ROLE:ID`` (``public`` needs no id).

        Parameters
        ----------
        text : str
            ``ROLE:ID``, e.g. ``"district:经开区"``; ``"public"`` alone.

        Returns
        -------
        Actor

        Raises
        ------
        RegisterError
            Unknown role, or a missing or malformed id.
        """
        role, _, ident = (text or "").partition(":")
        role, ident = role.strip(), ident.strip()
        if role == "public" and not ident:
            return cls("public", "")
        if role not in ROLES:
            raise RegisterError(f"unknown role {role!r} in {text!r}; expected ROLE:ID with ROLE "
                                f"one of {', '.join(ROLES)} (or 'public')")
        if not ident or not _ID.match(ident):
            raise RegisterError(f"{text!r}: the {role} needs an id (ROLE:ID), letters, digits, "
                                "'-', '.', '_' or Chinese characters, at most 80")
        return cls(role, ident)

    def __str__(self) -> str:
        return f"{self.role}:{self.id}" if self.id else self.role


@dataclass(frozen=True)
class Decision:
    """The answer of :func:`permission_allowed`: allowed or not, and why.

    Attributes
    ----------
    allowed : bool
        Whether the action is allowed (also the truth value of the decision).
    reason : str
        Why, in words: the rule that allows or refuses it.
    """

    allowed: bool
    reason: str

    def __bool__(self) -> bool:
        return self.allowed


def permission_allowed(actor: Actor, action: str, procedure: Procedure, *,
                       credit_code: str | None = None, district: str | None = None,
                       experts: Any = ()) -> Decision:
    """May ``actor`` perform ``action`` on this resource?

    Parameters
    ----------
    actor : Actor
    action : str
        A procedure stage id (``apply``, ``recommend``...) or a view of :data:`VIEWS`.
    procedure : Procedure
        Supplies the roles of each stage.
    credit_code : str, optional
        The enterprise acted on.
    district : str, optional
        That enterprise's district (as the log records it; None for an enterprise the log does
        not know yet, or the district a district-wide view asks about).
    experts : collection of str
        The experts assigned to the application acted on.

    Returns
    -------
    Decision
    """
    if action in VIEWS:
        roles = VIEWS[action]
    else:
        try:
            roles = procedure.stage(action).roles
        except KeyError:
            return Decision(False, f"unknown action {action!r}")
    if actor.role not in roles:
        return Decision(False, f"the role {actor.role!r} may not {action}; "
                        f"{'only ' + ' or '.join(roles) if roles else 'nobody'} may")
    role = actor.role
    if role in ("city", "public"):
        return Decision(True, f"{role} scope")
    if role == "enterprise":
        if credit_code is None and action in ("export",):
            return Decision(True, "published documents")
        if credit_code != actor.id:
            return Decision(False, f"enterprise {actor.id} acts only on itself, not on "
                            f"{credit_code}")
        return Decision(True, "own enterprise")
    if role == "district":
        if action == "export" and credit_code is None:
            return Decision(True, "published documents")
        if district is None:
            return Decision(False, f"district {actor.id} acts only on enterprises of its own "
                            f"district; {credit_code or 'the target'} is not on record in any "
                            "district")
        if district != actor.id:
            return Decision(False, f"district {actor.id} acts only on its own district's "
                            f"enterprises; {credit_code or 'the target'} is in {district}")
        return Decision(True, "own district")
    if role == "expert":
        if action == "export" and credit_code is None:
            return Decision(True, "published documents")
        if actor.id not in set(experts or ()):
            return Decision(False, f"expert {actor.id} acts only on applications assigned to "
                            f"them; {credit_code or 'this application'} is not")
        return Decision(True, "assigned application")
    return Decision(False, f"unknown role {role!r}")


def check_permission(actor: Actor, action: str, procedure: Procedure, **resource) -> None:
    """:func:`permission_allowed`, raising :class:`PermissionDenied` with the reason.

    Parameters
    ----------
    actor : Actor
        Who acts.
    action : str
        The command (``"apply"``, ``"recommend"`` ...).
    procedure : Procedure
        The programme's procedure (its roles and who may do what).
    **resource
        ``credit_code``, ``district``, ``experts`` of the resource acted on, as for
        :func:`permission_allowed`.

    Raises
    ------
    PermissionDenied
        The action is not allowed; the message names the actor, the action and the reason.
    """
    d = permission_allowed(actor, action, procedure, **resource)
    if not d.allowed:
        raise PermissionDenied(f"permission denied: {actor} may not {action}: {d.reason}")
