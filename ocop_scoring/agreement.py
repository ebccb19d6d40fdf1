"""Agreement among council members: Krippendorff's α, ICC(2,k), ICC(3,k), each member's leniency.

Layer: scoring (analysis). Imports: numpy, explain (number format), texts. Pure; no I/O.

Advisory statistics on the members' totals (floats are fine here: nothing here decides a star).
The data are a products x members matrix of member totals with gaps (recusals, missing cards):

- Krippendorff's α with the interval metric uses every product scored by at least two members,
  gaps allowed (Krippendorff 2011, "Computing Krippendorff's alpha-reliability": coincidences).
- ICC(2,k) (two-way random, absolute agreement, mean of k raters) and ICC(3,k) (two-way mixed,
  consistency) need complete data: they use the members who scored every product of the set, on
  those products, and are left out (None) when fewer than 2 products or 2 members remain.
- A member's leniency is the mean of (the member's total - the council's mean total) over the
  products the member scored; "outside the spread band" counts the products where the member's
  total lies more than half the spread threshold from the council mean (when every member stays
  inside that band, no two members differ by more than the threshold).

Wording is advisory and about scores, never a verdict on a person.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction

import numpy as np

from ocop_scoring.explain import format_points
from ocop_scoring.texts import load_texts


@dataclass(frozen=True)
class Ratings:
    """A products x members matrix of member totals; NaN where a member did not score a product."""

    products: tuple[str, ...]
    members: tuple[str, ...]
    values: np.ndarray  # float64 (products x members)

    @classmethod
    def from_result(cls, result: object, product_ids: Iterable[str] | None = None) -> Ratings:
        """The member totals of a ``CouncilResult`` (all products, or those given)."""
        ids = list(product_ids) if product_ids is not None else list(result.product_ids)  # type: ignore[attr-defined]
        members = list(result.member_ids)  # type: ignore[attr-defined]
        index = {m: i for i, m in enumerate(members)}
        values = np.full((len(ids), len(members)), np.nan)
        for row, pid in enumerate(ids):
            for member, total in result.product(pid).member_totals:  # type: ignore[attr-defined]
                values[row, index[member]] = total
        used = ~np.all(np.isnan(values), axis=0)
        return cls(tuple(ids), tuple(m for m, u in zip(members, used, strict=True) if u), values[:, used])


def krippendorff_alpha_interval(values: np.ndarray) -> float | None:
    """Krippendorff's α, interval metric, for a units x coders matrix with NaN gaps.

    Returns None for fewer than two units with two values or more, or when every value is the same.

    >>> round(krippendorff_alpha_interval(np.array([[1, 1], [2, 2], [3, 3.0]])), 6)
    1.0
    """
    rows = [r[~np.isnan(r)] for r in np.asarray(values, dtype=float)]
    rows = [r for r in rows if len(r) >= 2]
    if len(rows) < 2:  # one product: there is nothing to compare its spread with (α would read 0)
        return None
    n = sum(len(r) for r in rows)
    # observed disagreement: within-unit squared differences, each unit weighted by 1/(m_u - 1)
    d_o = 0.0
    for r in rows:
        diff = r[:, None] - r[None, :]
        d_o += float((diff**2).sum()) / (len(r) - 1)
    d_o /= n
    pooled = np.concatenate(rows)
    # expected disagreement: all pairs of pairable values; sum_{i,j} (v_i - v_j)^2 = 2 n Σ v^2 - 2 (Σ v)^2
    d_e = (2 * n * float((pooled**2).sum()) - 2 * float(pooled.sum()) ** 2) / (n * (n - 1))
    if d_e == 0:
        return None
    return 1.0 - d_o / d_e


def complete_block(values: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A large complete block for the ICCs, the larger of two simple choices: the members who
    scored the most products with the products complete for them, or the products scored by the
    most members with the members complete on them. Returns (matrix, product rows, member columns)."""
    present = ~np.isnan(values)
    empty = (values[:0, :0], np.arange(0), np.arange(0))
    if values.size == 0 or not present.any():
        return empty
    candidates = []
    by_member = present.sum(axis=0)
    cols = np.nonzero(by_member == by_member.max())[0]
    rows = np.nonzero(present[:, cols].all(axis=1))[0]
    candidates.append((rows, cols))
    by_product = present.sum(axis=1)
    rows = np.nonzero(by_product == by_product.max())[0]
    cols = np.nonzero(present[rows].all(axis=0))[0]
    candidates.append((rows, cols))
    rows, cols = max(candidates, key=lambda rc: (len(rc[0]) * len(rc[1]), len(rc[0])))
    return values[np.ix_(rows, cols)], rows, cols


def icc_k(values: np.ndarray) -> tuple[float | None, float | None]:
    """ICC(2,k) and ICC(3,k) (Shrout & Fleiss 1979; McGraw & Wong 1996) for a complete matrix.

    >>> tuple(round(v, 6) for v in icc_k(np.array([[9, 2, 5, 8], [6, 1, 3, 2], [8, 4, 6, 8], [7, 1, 2, 6], [10, 5, 6, 9], [6, 2, 4, 7.0]])))
    (0.620051, 0.909316)
    """
    x = np.asarray(values, dtype=float)
    if x.ndim != 2 or x.shape[0] < 2 or x.shape[1] < 2 or np.isnan(x).any():
        return None, None
    n, k = x.shape
    grand = x.mean()
    ss_rows = k * float(((x.mean(axis=1) - grand) ** 2).sum())
    ss_cols = n * float(((x.mean(axis=0) - grand) ** 2).sum())
    ss_total = float(((x - grand) ** 2).sum())
    ss_err = ss_total - ss_rows - ss_cols
    msr = ss_rows / (n - 1)
    msc = ss_cols / (k - 1)
    mse = ss_err / ((n - 1) * (k - 1))
    icc2 = (msr - mse) / (msr + (msc - mse) / n) if (msr + (msc - mse) / n) != 0 else None
    icc3 = (msr - mse) / msr if msr != 0 else None
    return icc2, icc3


@dataclass(frozen=True)
class MemberLeniency:
    """How one member's totals compare with the council's, over the products the member scored."""

    member_id: str
    products: int
    mean_deviation: float  # member total - council mean, averaged
    outside_band: int  # products where |member total - council mean| > threshold / 2

    def sentence(self, lang: str = "vi", threshold: int = 10) -> str:
        """Advisory wording, e.g. "TV04 chấm cao hơn hội đồng trung bình 6,2 điểm trên 14 sản phẩm"."""
        t = load_texts()
        amount = (
            format_points(Fraction(abs(self.mean_deviation)).limit_denominator(1000), lang, 1)
            if abs(self.mean_deviation) >= 0.05
            else "0"
        )
        if abs(self.mean_deviation) < 0.05:
            key = "agr_level"
        else:
            key = "agr_higher" if self.mean_deviation > 0 else "agr_lower"
        text = t.t(key, lang).format(member=self.member_id, amount=amount, products=self.products)
        if self.outside_band:
            text += t.t("agr_outside", lang).format(
                count=self.outside_band, half=format_points(Fraction(threshold, 2), lang, 1)
            )
        return text


@dataclass(frozen=True)
class Agreement:
    """Agreement of one set of products (a session or one sheet)."""

    scope: str  # "session" or a sheet id
    products: int
    members: int
    alpha: float | None
    icc2k: float | None
    icc3k: float | None
    icc_products: int  # products in the complete block used for the ICCs
    icc_members: int
    leniency: tuple[MemberLeniency, ...]


def agreement(result: object, *, threshold: int | None = None, by_sheet: bool = True) -> list[Agreement]:
    """Agreement for the whole session and (``by_sheet``) for each sheet, on member totals."""
    threshold = threshold if threshold is not None else result.rules.spread_threshold  # type: ignore[attr-defined]
    scopes: list[tuple[str, list[str]]] = [("session", list(result.product_ids))]  # type: ignore[attr-defined]
    if by_sheet:
        sheets: dict[str, list[str]] = {}
        for pid in result.product_ids:  # type: ignore[attr-defined]
            sheets.setdefault(result.product(pid).sheet_id, []).append(pid)  # type: ignore[attr-defined]
        scopes += sorted(sheets.items())
    out = []
    for scope, ids in scopes:
        r = Ratings.from_result(result, ids)
        out.append(_agreement_of(scope, r, threshold))
    return out


def _agreement_of(scope: str, r: Ratings, threshold: int) -> Agreement:
    values = r.values
    block, rows, cols = complete_block(values)
    icc2, icc3 = icc_k(block) if block.size else (None, None)
    means = np.nanmean(values, axis=1, keepdims=True) if values.size else values
    leniency = []
    for j, member in enumerate(r.members):
        scored = ~np.isnan(values[:, j])
        count = int(scored.sum())
        if not count:
            continue
        dev = values[scored, j] - means[scored, 0]
        leniency.append(MemberLeniency(member, count, float(dev.mean()), int((np.abs(dev) > threshold / 2).sum())))
    return Agreement(
        scope=scope,
        products=len(r.products),
        members=len(r.members),
        alpha=krippendorff_alpha_interval(values) if values.size else None,
        icc2k=icc2,
        icc3k=icc3,
        icc_products=len(rows),
        icc_members=len(cols),
        leniency=tuple(sorted(leniency, key=lambda m: -abs(m.mean_deviation))),
    )


def describe(a: Agreement, lang: str = "vi") -> list[str]:
    """Plain sentences for one scope (advisory)."""
    t = load_texts()

    def num(x: float | None) -> str:
        return "—" if x is None else format_points(Fraction(x).limit_denominator(10**6), lang, 2)

    lines = [t.t("agr_alpha", lang).format(alpha=num(a.alpha), products=a.products, members=a.members)]
    if a.icc2k is None:
        lines.append(t.t("agr_icc_none", lang))
    else:
        lines.append(
            t.t("agr_icc", lang).format(
                icc2=num(a.icc2k), icc3=num(a.icc3k), products=a.icc_products, members=a.icc_members
            )
        )
    return lines


def leniency_table(a: Agreement) -> Sequence[Mapping[str, object]]:
    """Rows for a table of members' leniency."""
    return [
        {
            "member_id": m.member_id,
            "products": m.products,
            "mean_deviation": round(m.mean_deviation, 2),
            "outside_band": m.outside_band,
        }
        for m in a.leniency
    ]
