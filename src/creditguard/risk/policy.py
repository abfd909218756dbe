"""Limit and pricing policy: score band × income and debt-to-income → decision, limit, rate.

A policy is a TOML file (the shipped default is ``default_policy.toml``, documented inline).
Every decline carries its reasons, in Chinese and English, with the scorecard's own reasons
attached (PIPL Art. 24: a person may ask for an explanation of an automated decision).

Money is integer fen and rates are exact decimals throughout; the limit is rounded *down* to
the policy's step, never up.
"""

from __future__ import annotations

import tomllib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from importlib import resources
from typing import Any

import polars as pl

from creditguard.money import InputError, format_amount, parse_amount, parse_rate

__all__ = [
    "Applicant",
    "Band",
    "Decision",
    "Policy",
    "Reason",
    "band_table",
    "decide",
    "decide_frame",
    "decide_many",
    "default_policy",
    "load_policy",
    "reason_for",
]


@dataclass(frozen=True)
class Band:
    """A score band: applicants scoring at least ``min_score`` get this limit rule and rate."""

    name: str
    min_score: float
    limit_multiple: Decimal
    max_limit: int
    annual_rate: Decimal


@dataclass(frozen=True)
class Policy:
    """A validated onboarding policy; ``bands`` run from the highest ``min_score`` down."""

    version: int
    max_apr: Decimal
    min_monthly_income: int
    max_dti: Decimal
    min_payment_rate: Decimal
    limit_step: int
    min_limit: int
    bands: tuple[Band, ...]


@dataclass(frozen=True)
class Applicant:
    """What the policy looks at: score, monthly income and existing monthly debt payments."""

    score: float
    monthly_income: int
    monthly_debt_payments: int = 0
    score_reasons: tuple[str, ...] = ()


@dataclass(frozen=True)
class Reason:
    """A decline reason: a stable code and the text in Chinese and English."""

    code: str
    zh: str
    en: str

    def text(self) -> str:
        """Chinese first, then English."""
        return f"{self.zh} / {self.en}"


@dataclass(frozen=True)
class Decision:
    """Approve with a limit (fen) and annual rate, or decline with reasons."""

    approved: bool
    band: str | None
    limit: int
    annual_rate: Decimal | None
    reasons: tuple[Reason, ...]
    score_reasons: tuple[str, ...]


def _get(doc: Mapping[str, Any], key: str, where: str) -> Any:
    if key not in doc:
        raise InputError(f"{where}{key}", "missing")
    return doc[key]


def load_policy(text: str) -> Policy:
    """Parse and validate a policy TOML document."""
    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise InputError("policy", f"not valid TOML ({exc})") from exc
    version = _get(doc, "version", "")
    if version != 1:
        raise InputError("version", f"unsupported policy version {version!r}")
    max_apr = parse_rate(_get(doc, "max_apr", ""), "max_apr", maximum=Decimal(1))
    policy_bands = []
    raw_bands = _get(doc, "band", "")
    if not isinstance(raw_bands, list) or not raw_bands:
        raise InputError("band", "at least one [[band]] is needed")
    for i, b in enumerate(raw_bands):
        where = f"band[{i}]."
        score = _get(b, "min_score", where)
        if isinstance(score, bool) or not isinstance(score, int | float):
            raise InputError(f"{where}min_score", "must be a number")
        rate = parse_rate(_get(b, "annual_rate", where), f"{where}annual_rate")
        if rate > max_apr:
            raise InputError(
                f"{where}annual_rate",
                f"rate {rate} exceeds the cost cap max_apr {max_apr}",
            )
        policy_bands.append(
            Band(
                name=str(_get(b, "name", where)),
                min_score=float(score),
                limit_multiple=parse_rate(
                    _get(b, "limit_multiple", where), f"{where}limit_multiple"
                ),
                max_limit=parse_amount(_get(b, "max_limit", where), f"{where}max_limit"),
                annual_rate=rate,
            )
        )
    names = [b.name for b in policy_bands]
    if len(set(names)) != len(names):
        raise InputError("band", "band names must be unique")
    scores = [b.min_score for b in policy_bands]
    if len(set(scores)) != len(scores):
        raise InputError("band", "bands must have distinct min_score")
    step = parse_amount(_get(doc, "limit_step", ""), "limit_step")
    if step <= 0:
        raise InputError("limit_step", "must be positive")
    min_payment_rate = parse_rate(_get(doc, "min_payment_rate", ""), "min_payment_rate")
    if not Decimal(0) < min_payment_rate <= Decimal(1):
        raise InputError("min_payment_rate", "must be in (0, 1]")
    return Policy(
        version=1,
        max_apr=max_apr,
        min_monthly_income=parse_amount(_get(doc, "min_monthly_income", ""), "min_monthly_income"),
        max_dti=parse_rate(_get(doc, "max_dti", ""), "max_dti", maximum=Decimal(1)),
        min_payment_rate=min_payment_rate,
        limit_step=step,
        min_limit=parse_amount(_get(doc, "min_limit", ""), "min_limit"),
        bands=tuple(sorted(policy_bands, key=lambda b: -b.min_score)),
    )


def default_policy() -> Policy:
    """The shipped default policy (``default_policy.toml``)."""
    text = resources.files("creditguard.risk").joinpath("default_policy.toml").read_text("utf-8")
    return load_policy(text)


_MAX_AMOUNT = 10**12  # fen (10 billion yuan): keeps every exact product inside Int64


def _ratio(d: Decimal) -> tuple[int, int]:
    f = Fraction(d)
    return f.numerator, f.denominator


def reason_for(policy: Policy, code: str) -> Reason:
    """The text of a decline reason, Chinese then English, with the policy's figures."""
    if code == "INCOME_LOW":
        amount = format_amount(policy.min_monthly_income)
        return Reason(code, f"月收入低于{amount}元", f"monthly income below {amount} yuan")
    if code == "DTI_HIGH":
        return Reason(
            code, f"负债收入比高于{policy.max_dti}", f"debt-to-income above {policy.max_dti}"
        )
    if code == "SCORE_LOW":
        cutoff = policy.bands[-1].min_score
        return Reason(code, f"信用评分低于{cutoff:g}分", f"credit score below {cutoff:g}")
    amount = format_amount(policy.min_limit)
    return Reason(
        "CAPACITY_LOW",
        f"还款能力不足以支持{amount}元的最低额度",
        f"repayment capacity below the minimum limit of {amount} yuan",
    )


def decide_frame(policy: Policy, applicants: pl.DataFrame) -> pl.DataFrame:
    """Decisions for a whole frame of applicants — the one implementation of the policy.

    Input columns: ``score`` (points), ``monthly_income`` and ``monthly_debt_payments``
    (integer fen). Output adds ``approved``, ``band`` (null when declined for score),
    ``limit`` (fen, 0 when declined), ``annual_rate`` (decimal text, null when declined) and
    ``reasons`` (list of decline codes, in a fixed order). All arithmetic on money is exact
    integer arithmetic: each decimal setting is an integer ratio p/q, and

        limit = step · min(⌊income·p_m / (q_m·step)⌋, ⌊max_limit / step⌋,
                           ⌊(income·p_d − debt·q_d)·q_r / (q_d·p_r·step)⌋)

    for the band multiple m, max_dti d and min_payment_rate r; the limit is thereby rounded
    down to the step.
    """
    for c in ("score", "monthly_income", "monthly_debt_payments"):
        if c not in applicants.columns:
            raise InputError(c, "column missing")
    df = applicants.with_columns(
        pl.col("monthly_income").cast(pl.Int64),
        pl.col("monthly_debt_payments").cast(pl.Int64),
    )
    money = pl.col("monthly_income"), pl.col("monthly_debt_payments")
    if df.select(pl.any_horizontal([(m < 0) | (m > _MAX_AMOUNT) for m in money]).any()).item():
        raise InputError("applicant", f"income and debt payments must be in 0..{_MAX_AMOUNT} fen")
    if df.select(pl.col("score").is_null().any() | pl.col("score").is_nan().any()).item():
        raise InputError("score", "missing score")
    income, debt = money
    pd_, qd = _ratio(policy.max_dti)
    pr, qr = _ratio(policy.min_payment_rate)
    step = policy.limit_step

    band = pl.lit(None, dtype=pl.String)
    mult_p = pl.lit(None, dtype=pl.Int64)
    mult_q = pl.lit(None, dtype=pl.Int64)
    cap = pl.lit(None, dtype=pl.Int64)
    rate = pl.lit(None, dtype=pl.String)
    for b in reversed(policy.bands):  # best band last, so it wins the when-chain
        hit = pl.col("score") >= b.min_score
        p, q = _ratio(b.limit_multiple)
        band = pl.when(hit).then(pl.lit(b.name)).otherwise(band)
        mult_p = pl.when(hit).then(pl.lit(p)).otherwise(mult_p)
        mult_q = pl.when(hit).then(pl.lit(q)).otherwise(mult_q)
        cap = pl.when(hit).then(pl.lit(b.max_limit)).otherwise(cap)
        rate = pl.when(hit).then(pl.lit(str(b.annual_rate))).otherwise(rate)

    income_low = income < policy.min_monthly_income
    dti_high = (income == 0) | (debt * qd > income * pd_)
    score_low = pl.col("_band").is_null()
    steps = pl.min_horizontal(
        (income * pl.col("_mp")) // (pl.col("_mq") * step),
        pl.col("_cap") // step,
        ((income * pd_ - debt * qd).clip(lower_bound=0) * qr) // (qd * pr * step),
    )
    out = (
        df.with_columns(
            band.alias("_band"),
            mult_p.alias("_mp"),
            mult_q.alias("_mq"),
            cap.alias("_cap"),
            rate.alias("_rate"),
        )
        .with_columns(
            income_low.alias("_income_low"),
            dti_high.alias("_dti_high"),
            score_low.alias("_score_low"),
            (steps * step).fill_null(0).alias("_limit"),
        )
        .with_columns(
            (
                ~pl.col("_income_low")
                & ~pl.col("_dti_high")
                & ~pl.col("_score_low")
                & (pl.col("_limit") < policy.min_limit)
            ).alias("_capacity_low")
        )
    )
    codes = ("INCOME_LOW", "DTI_HIGH", "SCORE_LOW", "CAPACITY_LOW")
    flags = ("_income_low", "_dti_high", "_score_low", "_capacity_low")
    approved = ~pl.any_horizontal([pl.col(f) for f in flags])
    return out.with_columns(
        approved.alias("approved"),
        pl.col("_band").alias("band"),
        pl.when(approved).then(pl.col("_limit")).otherwise(0).alias("limit"),
        pl.when(approved).then(pl.col("_rate")).alias("annual_rate"),
        pl.concat_list(
            [pl.when(pl.col(f)).then(pl.lit(c)) for f, c in zip(flags, codes, strict=True)]
        )
        .list.drop_nulls()
        .alias("reasons"),
    ).drop("_band", "_mp", "_mq", "_cap", "_rate", "_limit", *flags)


def decide(policy: Policy, applicant: Applicant) -> Decision:
    """Approve or decline one applicant (:func:`decide_frame` on a one-row frame).

    Every applicable decline reason is listed, with the scorecard's reasons carried along.
    """
    row = decide_frame(
        policy,
        pl.DataFrame(
            {
                "score": [float(applicant.score)],
                "monthly_income": [applicant.monthly_income],
                "monthly_debt_payments": [applicant.monthly_debt_payments],
            }
        ),
    ).row(0, named=True)
    return Decision(
        approved=bool(row["approved"]),
        band=row["band"],
        limit=int(row["limit"]),
        annual_rate=Decimal(row["annual_rate"]) if row["annual_rate"] is not None else None,
        reasons=tuple(reason_for(policy, c) for c in row["reasons"]),
        score_reasons=applicant.score_reasons,
    )


def decide_many(policy: Policy, applicants: Iterable[Applicant]) -> list[Decision]:
    """:func:`decide` for each applicant, in order (one frame, one pass)."""
    items = list(applicants)
    if not items:
        return []
    frame = decide_frame(
        policy,
        pl.DataFrame(
            {
                "score": [float(a.score) for a in items],
                "monthly_income": [a.monthly_income for a in items],
                "monthly_debt_payments": [a.monthly_debt_payments for a in items],
            }
        ),
    )
    return [
        Decision(
            approved=bool(r["approved"]),
            band=r["band"],
            limit=int(r["limit"]),
            annual_rate=Decimal(r["annual_rate"]) if r["annual_rate"] is not None else None,
            reasons=tuple(reason_for(policy, c) for c in r["reasons"]),
            score_reasons=a.score_reasons,
        )
        for r, a in zip(frame.iter_rows(named=True), items, strict=True)
    ]


def band_table(policy: Policy) -> Sequence[dict[str, str]]:
    """The policy's bands as display rows (amounts and rates as text)."""
    return [
        {
            "band": b.name,
            "min_score": f"{b.min_score:g}",
            "limit_multiple": str(b.limit_multiple),
            "max_limit": format_amount(b.max_limit),
            "annual_rate": str(b.annual_rate),
        }
        for b in policy.bands
    ]
