"""``ocop score`` output: the fast writers print exactly the bytes of the plain code path.

The oracle is the code ``print_result`` ran before ``score_output`` existed
(``json.dump`` of ``result.as_json()``, ``csv.DictWriter`` over
``result.table()``, the aligned table built from ``result.table()``), kept
here verbatim as a reference implementation. Every comparison is on the whole
text: one differing byte fails.
"""

from __future__ import annotations

import csv
import io
import json
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from ocop_scoring import score_output
from ocop_scoring.cli import main
from ocop_scoring.criteria_io import load_library
from ocop_scoring.demo import demo_dir
from ocop_scoring.explain import round_half_up
from ocop_scoring.model import CouncilRules, Rejection, Scorecard
from ocop_scoring.scores_io import read_rejections_csv, read_scores_csv
from ocop_scoring.scoring import ProductResult, build_card_set, score_council
from ocop_scoring.texts import load_texts
from tests.conftest import REPO

LIBRARY = load_library(REPO / "criteria")
SHEETS = LIBRARY.sheets_of("qd26-2026")
QD26 = LIBRARY.ruleset("qd26-2026")
# ids the writers must escape or quote as the plain path does: a comma and quotes (CSV), "%" (templates),
# Vietnamese letters (ensure_ascii=False), a backslash and a tab (JSON escapes)
PRODUCT_IDS = ["P01", "P02", "P10", 'SP,"3"', "Sữa%s 4", "P\\5", "P\t6", "Bánh 7", "P08", "P09", "P11", "P12"]
MEMBER_IDS = ["TV01", "TV02", "Thành viên 3", "M%d4", 'TV"5', "TV06", "TV07", "TV08", "TV09", "TV10", "TV11", "TV12"]


# --- the oracle: the plain code path, as print_result ran it -------------------------------------------------


def oracle_json(result) -> str:
    out = io.StringIO()
    json.dump(result.as_json(), out, ensure_ascii=False, indent=1)
    out.write("\n")
    return out.getvalue()


def oracle_csv(result) -> str:
    out = io.StringIO()
    rows = result.table()
    writer = csv.DictWriter(out, fieldnames=list(rows[0]) if rows else ["product_id"], lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue()


def oracle_table(result, lang: str) -> str:
    out = io.StringIO()
    t = load_texts()
    heads = [
        "product_id",
        "sheet_id",
        "members",
        "mean_total",
        "mean_A",
        "mean_B",
        "mean_C",
        "spread",
        "band",
        "stars",
        "unmet",
        "rank",
        "overall",
    ]
    labels = [t.t(f"col_{h}", lang) if t.t(f"col_{h}", lang) != f"col_{h}" else h for h in heads]
    rows = []
    for r in result.table():
        rows.append(
            [
                r["product_id"],
                r["sheet_id"],
                str(r["members"]),
                r["mean_total"],
                r["mean_A"],
                r["mean_B"],
                r["mean_C"],
                f"{r['spread']}{' !' if r['needs_discussion'] else ''}",
                str(r["band_stars"]),
                ("✗" if r["rejected"] else str(r["stars"])),
                r["unmet_minimums"] or "-",
                str(r["rank"]),
                str(r["overall_rank"]),
            ]
        )
    widths = [
        max(len(labels[i]), *(len(row[i]) for row in rows)) if rows else len(labels[i]) for i in range(len(heads))
    ]
    print("  ".join(label.ljust(w) for label, w in zip(labels, widths, strict=True)), file=out)
    for row in rows:
        print("  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)), file=out)
    rules = result.as_json()["rules"]
    op = ">" if rules["spread_strict"] else ">="
    print(
        "\n"
        + t.t("table_footer", lang).format(
            ruleset=result.ruleset.ruleset_id,
            minimum_rule=t.t("minimum_rule_" + rules["minimum_rule"], lang),
            op=op,
            threshold=rules["spread_threshold"],
            level=t.t("level_" + rules["level"], lang),
        ),
        file=out,
    )
    return out.getvalue()


def fast(result, fmt: str, lang: str = "vi") -> str:
    out = io.StringIO()
    if fmt == "json":
        score_output.write_json(result, out)
    elif fmt == "csv":
        score_output.write_csv(result, out)
    else:
        score_output.write_table(result, out, lang)
    return out.getvalue()


def oracle(result, fmt: str, lang: str = "vi") -> str:
    return {"json": oracle_json, "csv": oracle_csv}[fmt](result) if fmt != "table" else oracle_table(result, lang)


def assert_same_text(got: str, expected: str, what: str) -> None:
    if got.encode("utf-8") == expected.encode("utf-8"):
        return
    at = next((i for i, (a, b) in enumerate(zip(got, expected, strict=False)) if a != b), min(len(got), len(expected)))
    pytest.fail(
        f"{what}: output differs from the plain path at character {at} "
        f"(lengths {len(got)} / {len(expected)}):\n"
        f"  fast:  {got[max(0, at - 150) : at + 80]!r}\n  plain: {expected[max(0, at - 150) : at + 80]!r}"
    )


def assert_same(result, what: str = "council") -> None:
    """JSON, CSV and the table in both languages, byte for byte."""
    for fmt, lang in (("json", "vi"), ("csv", "vi"), ("table", "vi"), ("table", "en")):
        assert_same_text(fast(result, fmt, lang), oracle(result, fmt, lang), f"{what}, {fmt} ({lang})")


# --- generated councils ----------------------------------------------------------------------------------------


def _choices(sheet, rng_choice, level: float, zero_p: float, draw_bool) -> dict[str, int]:
    """One member's ticks: around ``level``, sometimes option 0 ("không đạt"); 5.2 blank when 5.1 gives no story."""
    choices: dict[str, int] = {}
    case = None  # sheet 26: the card's case, set by its first case-bound tick (a card uses one case)
    for leaf in sheet.leaves:
        numbers = [o.number for o in leaf.options if case is None or o.case in (None, case)]
        k = len(numbers)
        if draw_bool(zero_p):
            choices[leaf.code] = 0
            continue
        centre = round(level * (k - 1))
        choices[leaf.code] = numbers[rng_choice(max(0, centre - 1), min(k - 1, centre + 1))]
        case = case or leaf.option(choices[leaf.code]).case
    for leaf in sheet.leaves:  # the story rule: a condition not met leaves the criterion needing no answer
        cond = leaf.condition
        if cond is None or leaf.code not in choices:
            continue
        given = choices.get(cond.criterion)
        points = 0 if not given else sheet.leaf(cond.criterion).option(given).points
        if points < cond.min_points and draw_bool(0.5):
            del choices[leaf.code]
    return choices


def generated_council(
    seed: int,
    *,
    sheets=SHEETS,
    products_per_sheet: int = 2,
    members: int = 9,
    ragged: bool = True,
    zero_p: float = 0.05,
    twins: int = 3,
    rejected: int = 2,
    rules: CouncilRules | None = None,
):
    """A council over ``sheets`` from a seeded generator: option 0 ticks, the story rule, ragged member sets,
    identical twin products (ties), rejections with awkward reasons."""
    rng = np.random.default_rng(seed)
    cards: list[Scorecard] = []
    pid = 0
    made: list[tuple[str, list[Scorecard]]] = []
    for sheet in sheets:
        for _ in range(products_per_sheet):
            pid += 1
            product = f"{PRODUCT_IDS[pid % len(PRODUCT_IDS)]}-{pid:03d}"
            level = float(np.clip(rng.normal(0.55, 0.25), 0, 1))
            who = MEMBER_IDS[:members]
            if ragged and members > 1 and rng.random() < 0.4:
                who = [m for m in who if rng.random() < 0.8] or who[:1]
            own = [
                Scorecard(
                    product,
                    member,
                    sheet.sheet_id,
                    tuple(
                        _choices(
                            sheet,
                            lambda a, b: int(rng.integers(a, b + 1)),
                            float(np.clip(level + rng.normal(0, 0.08), 0, 1)),
                            zero_p,
                            lambda p: bool(rng.random() < p),
                        ).items()
                    ),
                )
                for member in who
            ]
            cards += own
            made.append((product, own))
    for i in range(min(twins, len(made))):  # an identical product on the same sheet: a tie on every key
        product, own = made[int(rng.integers(len(made)))]
        twin = f"{product}~twin{i}"
        cards += [Scorecard(twin, c.member_id, c.sheet_id, c.choices) for c in own]
    reasons = ['hồ sơ thiếu, "giả mạo"', "x,y\nz", "100% loại"]
    rejections = [
        Rejection(made[int(j)][0], reasons[k % len(reasons)])
        for k, j in enumerate(rng.choice(len(made), size=min(rejected, len(made)), replace=False))
    ]
    return score_council(build_card_set(cards, LIBRARY.sheets), LIBRARY.sheets, QD26, rules, rejections)


RULES = [
    CouncilRules(),
    CouncilRules(minimum_rule="every-member", spread_threshold=5, spread_strict=False),
    CouncilRules(minimum_rule="none", spread_threshold=0),
    CouncilRules(level="central"),
    CouncilRules(minimum_rule="every-member", level="central", spread_threshold=20),
]


@pytest.mark.parametrize("rules", RULES, ids=lambda r: f"{r.minimum_rule}-{r.level or 'default'}-{r.spread_threshold}")
def test_every_sheet_every_rule(rules):
    """All 26 sheets, 3 products each, ragged member sets, option 0, twins, rejections; each minimum rule and level."""
    result = generated_council(26, products_per_sheet=3, rules=rules, twins=6, rejected=4)
    assert len(result) == 26 * 3 + 6
    assert any(r.tied_with for r in result) and any(r.knockout_triggered for r in result)
    assert any(r.unmet_minimums for r in result) == (rules.minimum_rule != "none")
    assert_same(result, f"26 sheets, {rules}")


@pytest.mark.parametrize("members", [1, 2, 3, 6, 7, 9, 11, 12])
def test_member_counts(members):
    """Every product scored by the same members (the fast uniform path) and ragged; means that repeat (1/3, 1/7, …)."""
    for ragged in (False, True):
        result = generated_council(members, members=members, ragged=ragged, products_per_sheet=1, zero_p=0.02)
        assert_same(result, f"{members} members, ragged={ragged}")


def test_national_shape_uniform_council():
    """Many products per sheet, 9 members each, no rejection: the shape of the benchmark, written columnwise."""
    result = generated_council(2026, products_per_sheet=12, ragged=False, twins=10, rejected=0, zero_p=0.01)
    assert_same(result, "12 products per sheet")


def test_demo_through_the_command_line(capsys):
    """``ocop score --demo --format json|csv|table`` prints what the plain path prints for the bundled demo."""
    cards = read_scores_csv(demo_dir() / "scores.csv", LIBRARY.sheets)
    rejections = read_rejections_csv(demo_dir() / "rejections.csv")
    result = score_council(cards, LIBRARY.sheets, QD26, CouncilRules(), rejections)
    assert any(r.rejected for r in result)
    for fmt in ("json", "csv", "table"):
        assert main(["score", "--demo", "--format", fmt]) == 0
        assert_same_text(capsys.readouterr().out, oracle(result, fmt), f"ocop score --demo --format {fmt}")
    assert main(["score", "--demo", "--lang", "en", "--level", "central"]) == 0
    central = score_council(cards, LIBRARY.sheets, QD26, CouncilRules(level="central"), rejections)
    assert_same_text(capsys.readouterr().out, oracle_table(central, "en"), "ocop score --demo --level central")
    assert_same(result, "demo")


def test_empty_council():
    """No scorecards: an empty products list, the CSV header alone, the table's header and footer."""
    result = score_council(build_card_set([], LIBRARY.sheets), LIBRARY.sheets, QD26)
    assert len(result) == 0
    assert_same(result, "empty council")


def test_field_list_is_as_json():
    """PRODUCT_FIELDS names every key of ProductResult.as_json in order: a new field goes in there too."""
    result = generated_council(1, sheets=SHEETS[:2], products_per_sheet=1)
    product = result.product(result.product_ids[0])
    assert [key for key, _ in score_output.PRODUCT_FIELDS] == list(product.as_json())


def test_a_field_not_yet_in_the_fast_writer_keeps_the_bytes(monkeypatch):
    """When as_json gains a field before PRODUCT_FIELDS does, every product is written by the plain path."""
    plain = ProductResult.as_json

    def with_recognition(self):
        return {**plain(self), "recognition": None if self.stars < 4 else {"stars": self.stars, "by": "UBND"}}

    monkeypatch.setattr(ProductResult, "as_json", with_recognition)
    result = generated_council(4, sheets=SHEETS[:5], products_per_sheet=2)
    assert_same_text(fast(result, "json"), oracle_json(result), "a new as_json field")


def test_products_left_to_the_plain_path(monkeypatch):
    """Products a RARE_PRODUCTS test picks are written by ProductResult.as_json among the fast ones, same bytes."""
    result = generated_council(6, sheets=SHEETS[:6], products_per_sheet=3)
    monkeypatch.setattr(score_output, "RARE_PRODUCTS", (lambda ps: np.arange(ps.count) % 3 == 1,))
    assert_same_text(fast(result, "json"), oracle_json(result), "some products by the plain path")


def test_plain_paths_for_sheets_with_other_parts(monkeypatch):
    """A council whose sheets differ in their parts is written by the plain CSV path (same header rule)."""
    result = generated_council(5, sheets=SHEETS[:3], products_per_sheet=2)
    monkeypatch.setattr(score_output._Products, "uniform_parts", None)
    assert_same_text(fast(result, "csv"), oracle_csv(result), "plain CSV path")


def test_mean_texts_match_round_half_up():
    """Integer rounding == str(round_half_up(Fraction(s, n))), trailing zeros included (70.00, 0.50)."""
    sums = np.array([s for s in range(0, 1201) for _ in range(1, 14)], dtype=np.int64)
    ns = np.array([n for _ in range(0, 1201) for n in range(1, 14)], dtype=np.int64)
    expected = [str(round_half_up(Fraction(int(s), int(n)))) for s, n in zip(sums, ns, strict=True)]
    assert score_output.mean_texts(sums, ns) == expected
    big = np.array([10**9 + 7, 2**52, 5, 0], dtype=np.int64)
    n = np.array([3, 7, 1000, 9], dtype=np.int64)
    assert score_output.mean_texts(big, n) == [
        str(round_half_up(Fraction(int(s), int(m)))) for s, m in zip(big, n, strict=True)
    ]
    negative = np.array([-5, -1, 3], dtype=np.int64)
    assert score_output.mean_texts(negative, np.array([3, 200, 2])) == ["-1.67", "-0.01", "1.50"]


# --- random councils (Hypothesis) ----------------------------------------------------------------------------

SETTINGS = settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    phases=[Phase.explicit, Phase.reuse, Phase.generate],
)


@st.composite
def councils(draw):
    """Products on random sheets, random member subsets (1-12), option 0 ticks, the story rule, twins, rejections."""
    n_products = draw(st.integers(1, 7))
    uniform = draw(st.booleans())
    council_members = draw(st.lists(st.sampled_from(MEMBER_IDS), min_size=1, max_size=12, unique=True))
    zero_p = draw(st.sampled_from([0.0, 0.05, 0.3]))
    cards: list[Scorecard] = []
    made: list[tuple[str, list[Scorecard]]] = []
    for p in range(n_products):
        sheet = draw(st.sampled_from(SHEETS))
        who = (
            council_members
            if uniform
            else draw(st.lists(st.sampled_from(MEMBER_IDS), min_size=1, max_size=9, unique=True))
        )
        level = draw(st.floats(0, 1))
        own = [
            Scorecard(
                PRODUCT_IDS[p],
                member,
                sheet.sheet_id,
                tuple(
                    _choices(
                        sheet,
                        lambda a, b: draw(st.integers(a, b)),
                        level,
                        zero_p,
                        lambda q: q > 0 and draw(st.floats(0, 1)) < q,
                    ).items()
                ),
            )
            for member in who
        ]
        cards += own
        made.append((PRODUCT_IDS[p], own))
    if draw(st.booleans()):  # a twin: ties on every rank key
        product, own = made[draw(st.integers(0, len(made) - 1))]
        cards += [Scorecard(product + " twin", c.member_id, c.sheet_id, c.choices) for c in own]
    rules = CouncilRules(
        minimum_rule=draw(st.sampled_from(["mean", "every-member", "none"])),
        spread_threshold=draw(st.integers(0, 20)),
        spread_strict=draw(st.booleans()),
        level=draw(st.sampled_from([None, "province", "central"])),
    )
    rejected = draw(st.lists(st.sampled_from([pid for pid, _ in made]), unique=True, max_size=2))
    reason = draw(st.sampled_from(["x", 'thiếu "hồ sơ"', "a,b\nc"]))
    return cards, rules, [Rejection(pid, reason) for pid in rejected]


@SETTINGS
@given(councils())
def test_random_councils(council):
    """Any council: the fast writers print the plain path's bytes in every format."""
    cards, rules, rejections = council
    result = score_council(build_card_set(cards, LIBRARY.sheets), LIBRARY.sheets, QD26, rules, rejections)
    assert_same(result, "random council")
