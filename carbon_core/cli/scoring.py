"""Click commands ``carbon score`` and ``carbon rank`` (registered into the ``carbon`` group).

``carbon score INVENTORY [--programme NAME] [--system FILE] [--previous RESULTS.json]
[--as-of DATE] [--json] [--output FILE]`` computes the inventory with the engine (``carbon_core.compute``), evaluates it
and prints eligibility, every indicator's points with its inputs and rule, the unmet mandatory
items, the total out of 100 and the verdict. ``--json`` prints the score JSON
(``carbon schema score``) instead; ``--output`` also writes it to a file.

``carbon rank FILES...`` scores many factories (inventories ``*.toml``, or score JSON files already
written by ``carbon score --json``) and ranks them with the reason for each place.
"""

from __future__ import annotations

import datetime
import json
import pathlib

import click
from rich.console import Console

from carbon_core.errors import CarbonCoreError, InputError

from ._errors import SafeCommand
from ..scoring.evaluate import Evaluation, evaluate
from ..scoring.evaluate import rank as _rank
from ..outputs.terminal_score import print_evaluation, print_ranking
from ..scoring.system import load_system

__all__ = ["score", "rank", "rank_command"]


def _compute(path):
    try:
        from carbon_core import compute
    except ImportError as exc:  # the engine is not importable in this build
        raise click.ClickException(f"the engine (carbon_core.compute) is not available: {exc}")
    return compute(path)


def _metric_names(results):
    from carbon_core.engine import available_metrics

    return set(available_metrics()) | set(results.metrics)


_SYSTEMS: dict = {}  # (file, programme, metric names) -> IndicatorSystem: `rank` loads it once


def _programme(name):
    """The programme bundle called ``name`` (shipped or from a plugin)."""
    from carbon_core.plugin_manager import get_plugin_manager
    from carbon_core.programmes import get_programme

    return get_programme(name, plugin_manager=get_plugin_manager())


def _evaluate_inventory(path, system_path, previous, as_of, programme=None) -> Evaluation:
    results = _compute(path)
    names = frozenset(_metric_names(results))
    key = (system_path, programme, names)
    if key not in _SYSTEMS:
        _SYSTEMS[key] = load_system(system_path, metrics=names, programme=_programme(programme))
    return evaluate(results, system=_SYSTEMS[key], previous=previous, as_of=as_of)


def _date(ctx, param, value):
    if value is None:
        return None
    try:
        return datetime.date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"{value!r} is not a date YYYY-MM-DD") from None


_system_opt = click.option("--system", "system_path", type=click.Path(dir_okay=False),
                           default=None, help="Indicator-system TOML (default: the programme's "
                           "own, a TEMPLATE until the official document is loaded).")
_programme_opt = click.option("--programme", "programme", default=None, metavar="NAME",
                              help="Programme bundle: indicator system and eligibility gate "
                              "(default: carbon_core.programmes.DEFAULT_PROGRAMME; an unknown "
                              "name lists the known ones).")
_asof_opt = click.option("--as-of", "as_of", callback=_date, default=None, metavar="DATE",
                         help="Judge certificates and dated evidence on this day "
                         "(default: 31 December of the reporting year).")


@click.command("score", cls=SafeCommand)
@click.argument("inventory", type=click.Path(dir_okay=False))
@_programme_opt
@_system_opt
@click.option("--previous", type=click.Path(dir_okay=False), default=None,
              help="Previous year's results JSON (for year-on-year indicators).")
@_asof_opt
@click.option("--json", "as_json", is_flag=True, help="Print the score JSON instead of tables.")
@click.option("--output", "-o", type=click.Path(dir_okay=False), default=None,
              help="Also write the score JSON to this file.")
def score(inventory, programme, system_path, previous, as_of, as_json, output):
    """Evaluate a factory against a programme's indicator system and eligibility gate."""
    try:
        ev = _evaluate_inventory(inventory, system_path, previous, as_of, programme)
    except CarbonCoreError as exc:
        raise click.ClickException(str(exc)) from None
    if output:
        ev.to_json(output)
    if as_json:
        click.echo(ev.to_json())
    else:
        print_evaluation(ev, Console())


def _load_score_json(path):
    try:
        doc = json.loads(pathlib.Path(path).read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise click.ClickException(f"{path}: cannot read a score JSON: {exc}") from None
    from jsonschema import Draft202012Validator

    from ..scoring import score_schema

    errors = sorted(Draft202012Validator(score_schema()).iter_errors(doc), key=str)
    if errors:
        raise click.ClickException(f"{path}: not a score JSON (carbon schema score): "
                                   f"{errors[0].message}")
    return doc


@click.command("rank", cls=SafeCommand)
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False))
@_programme_opt
@_system_opt
@_asof_opt
@click.option("--json", "as_json", is_flag=True, help="Print the ranking as JSON.")
def rank_command(files, programme, system_path, as_of, as_json):
    """Score many factories and rank them for a district's recommendation (择优推荐).

    FILES are inventories (*.toml, computed and scored here) or score JSON files written by
    `carbon score --json` (use those to include year-on-year indicators).
    """
    docs, problems = [], []
    for f in files:
        try:
            if f.lower().endswith(".json"):
                docs.append(_load_score_json(f))
            else:
                docs.append(_evaluate_inventory(f, system_path, None, as_of,
                                                programme).to_dict())
        except InputError as exc:
            problems.append(f"{f}: {exc}")
        except CarbonCoreError as exc:
            problems.append(f"{f}: {exc}")
    if problems:
        raise click.ClickException("cannot rank:\n" + "\n".join(problems))
    systems = {(d["system"]["id"], d["system"]["version"],
                (d["system"].get("programme") or {}).get("name", "")) for d in docs}
    if len(systems) > 1:
        raise click.ClickException("the scores use different indicator systems or programmes: "
                                   + ", ".join(f"{i} v{v}" + (f" ({p})" if p else "")
                                               for i, v, p in sorted(systems)))
    entries = _rank(docs)
    if as_json:
        click.echo(json.dumps({"system": docs[0]["system"],
                               "ranking": [e.to_dict() for e in entries]},
                              ensure_ascii=False, indent=2))
    else:
        print_ranking(entries, Console(), template=docs[0]["system"]["template"])


#: ``carbon rank``; defined as ``rank_command`` so it does not shadow :func:`carbon_core.scoring.rank`.
rank = rank_command
