"""dibao-v1 by hand in pandas/numpy: what a Spark user would write without Bylaw.

RULE.md's exact integer formulation, vectorised over each Arrow batch Spark hands to
``mapInPandas``: money in integer fen (cast from the exact decimals by Spark before the
batch arrives), so the result matches the reference to the fen with no float anywhere.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pandas as pd

# RULE.md: "The literal constants of the rule are part of the rule, not parameters".
RESIDENCE_MONTHS = 24
ABSENCE_LIMIT_MONTHS = 6


def dibao_v1_fen(
    batches: Iterator[pd.DataFrame], std_fen: dict[str, int], asset_limit_months: int
) -> Iterator[pd.DataFrame]:
    """Eligibility and benefit in fen for each household of each batch.

    Parameters
    ----------
    batches
        Columns ``city``, ``members``, ``income_fen``, ``assets_fen``, ``has_car``,
        ``extra_house``, ``hukou_local``, ``residence_months``, ``months_away``,
        ``disabled_members``.
    std_fen
        The monthly standard per person of each city, in fen (params.json).
    asset_limit_months
        Months of the standard that financial assets may reach (params.json).

    Yields
    ------
    pandas.DataFrame
        ``eligible`` (bool) and ``benefit_fen`` (int64) per household.
    """
    for pdf in batches:
        # An unknown city maps to NaN and fails the cast: bad data stops the job.
        std = pdf["city"].map(std_fen).to_numpy(dtype=np.int64)
        income = pdf["income_fen"].to_numpy()
        need = std * pdf["members"].to_numpy()
        resident = pdf["hukou_local"].to_numpy() | (
            pdf["residence_months"].to_numpy() >= RESIDENCE_MONTHS
        )
        eligible = (
            resident
            & (pdf["months_away"].to_numpy() < ABSENCE_LIMIT_MONTHS)
            & (income < need)
            & (pdf["assets_fen"].to_numpy() <= asset_limit_months * need)
            & ~pdf["has_car"].to_numpy()
            & ~pdf["extra_house"].to_numpy()
        )
        # Tenths of a fen: 10 * (need - income) + 0.1 * std * disabled * 10; adding 5
        # and flooring rounds half up (the numerator is positive when eligible).
        tenths = 10 * (need - income) + std * pdf["disabled_members"].to_numpy()
        benefit = np.where(eligible, (tenths + 5) // 10, 0)
        yield pd.DataFrame({"eligible": eligible, "benefit_fen": benefit})
