"""The simulator's scenario file (YAML): size, horizon, product mix, macro path, outages, seed.

Probabilities and multipliers are model parameters (floats are fine there); money never appears
in a scenario except through the products it names. Every problem is an ``InputError`` naming
the field, e.g. ``macro[0].month: must be between 1 and months``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from creditguard.calendar import add_months
from creditguard.money import InputError

__all__ = [
    "Behaviour",
    "MacroShock",
    "Outage",
    "SimScenario",
    "load_scenario",
    "parse_scenario",
    "shipped_scenario",
]


@dataclass(frozen=True)
class MacroShock:
    """From ``month`` (1-based) on, the monthly job-loss hazard is multiplied by ``multiplier``."""

    month: int
    multiplier: float
    label: str = "unemployment shock"


@dataclass(frozen=True)
class Outage:
    """A platform outage [start, end]: repayments fail; the engine moves due dates inside."""

    start: date
    end: date
    relief_days: int = 3


@dataclass(frozen=True)
class Behaviour:
    """Behaviour parameters for the four causes of overdue (see :mod:`behaviour`).

    ``base_job_loss`` is the monthly hazard at income stability 0.5, scaled by
    ``exp(job_loss_slope × (0.5 − stability))``; ``squeeze_rate`` is the chance a bill meets a
    cash squeeze when the borrower has no savings left (``× exp(−savings / 0.5 month)``).
    Both new keys default to the calibrated values, so older scenario files still load.
    """

    base_job_loss: float = 0.008
    job_loss_slope: float = 3.0
    reemployment: float = 0.30
    spend_rate: float = 1.0
    utilisation_creep: float = 0.04
    forget_scale: float = 1.0
    reminder_effect: float = 0.6
    min_payer_share: float = 0.15
    prepay_rate: float = 0.03
    bill_installment_rate: float = 0.05
    squeeze_rate: float = 0.10


@dataclass(frozen=True)
class SimScenario:
    """A validated simulator scenario."""

    name: str
    seed: int
    borrowers: int
    months: int
    start: date
    line_product: str = "credit-pay"
    loan_product: str = "cash-loan"
    cash_loan_share: float = 0.4
    onboarding_months: int = 3
    macro: tuple[MacroShock, ...] = ()
    outages: tuple[Outage, ...] = ()
    behaviour: Behaviour = field(default_factory=Behaviour)

    @property
    def end(self) -> date:
        """The last business date simulated (the day before ``start`` + ``months``)."""
        return add_months(self.start, self.months) - timedelta(days=1)

    def job_loss_multiplier(self, month: int) -> float:
        """The macro multiplier in force in simulation month ``month`` (1-based)."""
        value = 1.0
        for shock in sorted(self.macro, key=lambda s: s.month):
            if month >= shock.month:
                value = shock.multiplier
        return value


_TOP = {
    "name", "seed", "borrowers", "months", "start", "products", "product_mix",
    "onboarding_months", "macro", "outages", "behaviour",
}  # fmt: skip


def _int(doc: dict[str, Any], key: str, where: str, lo: int, hi: int) -> int:
    value = doc.get(key)
    if isinstance(value, bool) or not isinstance(value, int):
        raise InputError(f"{where}{key}", f"must be a whole number, got {value!r}")
    if not lo <= value <= hi:
        raise InputError(f"{where}{key}", f"must be between {lo} and {hi}, got {value}")
    return value


def _float(value: Any, name: str, lo: float, hi: float) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise InputError(name, f"must be a number, got {value!r}")
    if not lo <= float(value) <= hi:
        raise InputError(name, f"must be between {lo} and {hi}, got {value}")
    return float(value)


def _date(value: Any, name: str) -> date:
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value))
    except ValueError as exc:
        raise InputError(name, f"must be a date YYYY-MM-DD, got {value!r}") from exc


def _mapping(value: Any, name: str) -> dict[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise InputError(name, "must be a mapping")
    return value


def parse_scenario(text: str, *, source: str = "<scenario>") -> SimScenario:
    """Parse and validate a scenario YAML document."""
    try:
        doc = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise InputError("scenario", f"{source}: not valid YAML ({exc})") from exc
    if not isinstance(doc, dict):
        raise InputError("scenario", f"{source}: must be a mapping")
    unknown = sorted(set(doc) - _TOP)
    if unknown:
        raise InputError(unknown[0], f"unknown key (allowed: {', '.join(sorted(_TOP))})")
    months = _int(doc, "months", "", 1, 120)
    start = _date(doc.get("start"), "start")
    products = _mapping(doc.get("products"), "products")
    for key in products:
        if key not in ("line", "loan"):
            raise InputError(f"products.{key}", "unknown key (allowed: line, loan)")
    mix = _mapping(doc.get("product_mix"), "product_mix")
    for key in mix:
        if key != "cash_loan_share":
            raise InputError(f"product_mix.{key}", "unknown key (allowed: cash_loan_share)")
    macro = []
    raw_macro = doc.get("macro") or []
    if not isinstance(raw_macro, list):
        raise InputError("macro", "must be a list")
    for i, m in enumerate(raw_macro):
        m = _mapping(m, f"macro[{i}]")
        macro.append(
            MacroShock(
                month=_int(m, "month", f"macro[{i}].", 1, months),
                multiplier=_float(m.get("job_loss_multiplier"), f"macro[{i}].job_loss_multiplier",
                                  0.0, 100.0),
                label=str(m.get("label", "unemployment shock")),
            )
        )  # fmt: skip
    outages = []
    raw_outages = doc.get("outages") or []
    if not isinstance(raw_outages, list):
        raise InputError("outages", "must be a list")
    for i, o in enumerate(raw_outages):
        o = _mapping(o, f"outages[{i}]")
        a, b = (
            _date(o.get("start"), f"outages[{i}].start"),
            _date(o.get("end"), f"outages[{i}].end"),
        )
        if b < a:
            raise InputError(f"outages[{i}].end", "must not be before start")
        relief = _int({"relief_days": o.get("relief_days", 3)}, "relief_days", f"outages[{i}].",
                      0, 30)  # fmt: skip
        outages.append(Outage(a, b, relief))
    raw_b = _mapping(doc.get("behaviour"), "behaviour")
    defaults = Behaviour()
    values: dict[str, float] = {}
    for key, value in raw_b.items():
        if not hasattr(defaults, key):
            raise InputError(f"behaviour.{key}", "unknown behaviour parameter")
        values[key] = _float(value, f"behaviour.{key}", 0.0, 10.0)
    return SimScenario(
        name=str(doc.get("name", source)),
        seed=_int(doc, "seed", "", 0, 2**63 - 1),
        borrowers=_int(doc, "borrowers", "", 1, 10_000_000),
        months=months,
        start=start,
        line_product=str(products.get("line", "credit-pay")),
        loan_product=str(products.get("loan", "cash-loan")),
        cash_loan_share=_float(mix.get("cash_loan_share", 0.4), "product_mix.cash_loan_share",
                               0.0, 1.0),
        onboarding_months=_int({"onboarding_months": doc.get("onboarding_months", 3)},
                               "onboarding_months", "", 1, months),
        macro=tuple(macro),
        outages=tuple(outages),
        behaviour=Behaviour(**values),
    )  # fmt: skip


def load_scenario(path: str | Path) -> SimScenario:
    """Read and parse a scenario file."""
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except OSError as exc:
        raise InputError("scenario", f"cannot read {p}: {exc.strerror}") from exc
    return parse_scenario(text, source=str(p))


def shipped_scenario(name: str = "default") -> SimScenario:
    """A scenario shipped with the package: ``default`` or ``stress``."""
    ref = resources.files("creditguard.simulate") / "scenarios" / f"{name}.yaml"
    if not ref.is_file():
        raise InputError("scenario", f"no shipped scenario {name!r} (default, stress)")
    return parse_scenario(ref.read_text(encoding="utf-8"), source=f"shipped:{name}")
