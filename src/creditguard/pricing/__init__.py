"""Pricing: installment schedules, payoff quotes, annualized rates and rate caps (pure)."""

from __future__ import annotations

from creditguard.pricing.apr import (
    AnnualizedRate,
    CapRule,
    RateCapExceeded,
    annualized_rate,
    check_rate_cap,
    rate_cap,
    schedule_apr,
)
from creditguard.pricing.payoff import PayoffQuote, payoff_quote
from creditguard.pricing.schedule import (
    Installment,
    Schedule,
    amortize,
    build_schedule,
)
from creditguard.pricing.terms import LoanTerms, Method
from creditguard.pricing.vectorized import build_schedules

__all__ = [
    "AnnualizedRate",
    "CapRule",
    "Installment",
    "LoanTerms",
    "Method",
    "PayoffQuote",
    "RateCapExceeded",
    "Schedule",
    "amortize",
    "annualized_rate",
    "build_schedule",
    "build_schedules",
    "check_rate_cap",
    "payoff_quote",
    "rate_cap",
    "schedule_apr",
]
