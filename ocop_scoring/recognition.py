"""Where a product stands after the council: proposed, recognised, forwarded, back from the Ministry.

Layer: model (pure). Imports: model.

Decision 26/2026, Điều 7: the provincial council evaluates and *proposes*; the
Chủ tịch UBND cấp tỉnh *recognises* 3★ and 4★ (7.3 d–e). A product of 90 points
or more is forwarded to the Ministry's central council for 5★ (7.3 c); if the
central council rates it below 90, the province may recognise it at 3★ or 4★ on
that result (7.4, last paragraph). The council's result (``ProductResult.outcome``)
says what the council proposes; the decisions recorded with the session
(``ocop session recognise``, ``ocop session import-central-result``) say what
became of it. ``standing`` combines the two.
"""

from __future__ import annotations

from typing import Any

from attrs import frozen

from ocop_scoring.model import CentralResult, Decision, SessionState

STANDINGS = (
    "not_recognised",  # below 3★ (province) or below 5★ (central): nothing to recognise
    "rejected",  # knocked out by the council
    "proposed",  # the council proposes recognition; no decision recorded yet
    "recognised",  # a recognition decision names the product
    "forwarded",  # 90+ at a provincial council: at the Ministry, no result back yet
    "central_5_star",  # the central council's result: 5★ (the Ministry recognises it)
    "central_below",  # the central council rated it below 90: the province may recognise it at that star
)

# The stars a province recognises (Điều 7.3 e); 5★ is the Ministry's.
PROVINCE_STARS = (3, 4)


@frozen
class Standing:
    """A product's standing after the council, with the decision it rests on."""

    product_id: str
    status: str  # one of STANDINGS
    stars: int  # the star proposed, recognised or returned (0 when none)
    decision: Decision | None = None  # the recognition decision (or the central result's)
    central: CentralResult | None = None  # the central council's result, when it came back

    @property
    def decided(self) -> bool:
        """Whether a recorded decision says what became of the council's proposal (pages then say so)."""
        return self.status in ("recognised", "central_below", "central_5_star")

    def words(self, template: str) -> str:
        """A text template filled with the standing: ``{stars}``, the decision's ``{number}``, the central ``{mean}``."""
        return template.format(
            stars=self.stars,
            number=self.decision.number if self.decision else "…",
            mean=self.central.mean_total if self.central else "…",
        )

    @property
    def can_be_recognised(self) -> bool:
        """Whether a recognition decision may name the product now."""
        return self.status in ("proposed", "central_below") and self.stars > 0

    def as_json(self) -> dict[str, Any]:
        """The ``recognition`` object of a product in the JSON results (present once a decision is recorded)."""
        out: dict[str, Any] = {"status": self.status, "stars": self.stars}
        if self.decision is not None:
            out["decision"] = self.decision.number
            out["signed_on"] = self.decision.signed_on
        if self.central is not None:
            out["central"] = {"mean_total": self.central.mean_total, "stars": self.central.stars}
        return out


def standing(product_id: str, outcome: str, stars: int, state: SessionState | None) -> Standing:
    """A product's standing from its council outcome and the session's recorded decisions."""
    recognised = state.recognition(product_id) if state is not None else None
    back = state.central_result(product_id) if state is not None else None
    if outcome == "rejected":
        return Standing(product_id, "rejected", 0)
    if back is not None:
        central, returned = back
        if central.stars >= 5:
            return Standing(product_id, "central_5_star", central.stars, returned, central)
        if recognised is not None:
            return Standing(product_id, "recognised", central.stars, recognised, central)
        if central.stars in PROVINCE_STARS:
            return Standing(product_id, "central_below", central.stars, returned, central)
        return Standing(product_id, "not_recognised", central.stars, returned, central)
    if outcome == "forward_to_ministry":
        return Standing(product_id, "forwarded", stars)
    if outcome in ("propose_recognition", "propose_5_star"):
        if recognised is not None:
            return Standing(product_id, "recognised", stars, recognised)
        return Standing(product_id, "proposed", stars)
    return Standing(product_id, "not_recognised", stars)


def has_decisions(state: SessionState | None, product_id: str) -> bool:
    """Whether a decision recorded with the session concerns the product."""
    if state is None:
        return False
    return state.recognition(product_id) is not None or state.central_result(product_id) is not None


__all__ = ["PROVINCE_STARS", "STANDINGS", "Standing", "has_decisions", "standing"]
