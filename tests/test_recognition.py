"""After the council (Decision 26/2026, Điều 7): proposals, recognition decisions, the Ministry's round,
knock-outs the ticks trigger, sheet 26's cases and the council's own province, on a real store."""

from __future__ import annotations

import io
import json

import pytest

from ocop_scoring import demo
from ocop_scoring.errors import ScorecardError, ScoresInputError, SettingsError, StoreError
from ocop_scoring.model import ProductSpec
from ocop_scoring.recognition import standing
from ocop_scoring.score_output import write_json
from ocop_scoring.store import OPERATOR, SessionStore
from ocop_scoring.store.session_file import dumps, read_session_file
from tests.conftest import best_choices
from tests.test_cli_session import ocop


@pytest.fixture
def store(store_url):
    s = SessionStore(store_url)
    yield s
    s.close()


def central(*rows: tuple[str, str, int], level: str = "central") -> dict:
    """The central council's results as ``ocop score --format json`` writes them (the fields read)."""
    return {
        "rules": {"level": level},
        "products": [{"product_id": p, "mean_total": m, "stars": s} for p, m, s in rows],
    }


def outcomes(store, sid) -> dict[str, str]:
    return {r.product_id: r.outcome for r in store.results(sid)}


# --- proposals and recognition ----------------------------------------------------------------------------


def test_the_council_proposes_and_the_province_recognises(store, make_session):
    """Until a decision is recorded the results say "proposed"; the decision names the products it recognises."""
    sid = make_session(store, held_on="2026-06-20")
    store.knock_out(sid, OPERATOR, "P10", demo.REJECTION_REASON)
    assert outcomes(store, sid) == {
        "P01": "propose_recognition",
        "P02": "propose_recognition",
        "P03": "forward_to_ministry",  # 97.89: the province does not recognise it (Điều 7.3)
        "P04": "propose_recognition",
        "P05": "propose_recognition",
        "P06": "propose_recognition",
        "P07": "not_recognised",
        "P08": "propose_recognition",
        "P09": "propose_recognition",
        "P10": "rejected",
    }
    before = store.results(sid)
    assert {p.product_id: p.standing.status for p in before}["P01"] == "proposed"
    assert "recognition" not in before.product("P01").as_json()
    assert (before.product("P03").recognized, before.product("P03").forwarded_to) == (False, "central")

    decision = store.recognise(sid, "123/QĐ-UBND", "2026-07-01", ["P01", "P02"])

    assert (decision.kind, decision.number, decision.signed_on, decision.products) == (
        "recognition",
        "123/QĐ-UBND",
        "2026-07-01",
        ("P01", "P02"),
    )
    after = store.results(sid)
    assert after.product("P01").as_json()["recognition"] == {
        "status": "recognised",
        "stars": 4,
        "decision": "123/QĐ-UBND",
        "signed_on": "2026-07-01",
    }
    assert after.product("P04").standing.status == "proposed"
    entry = store.audit_log(sid)[-1]
    assert (entry.action, entry.reason, entry.after["products"]) == ("recognise", "123/QĐ-UBND", ["P01", "P02"])
    # the rest, by default; then nothing is left to recognise
    rest = store.recognise(sid, "130/QĐ-UBND", "2026-07-15")
    assert rest.products == ("P04", "P05", "P06", "P08", "P09")
    with pytest.raises(SettingsError, match="no product awaits recognition"):
        store.recognise(sid, "131/QĐ-UBND", "2026-07-20")
    assert store.verify(sid).ok


def test_recognition_refuses_what_the_law_does_not_allow(store, make_session):
    """A forwarded, unrecognised, rejected or already recognised product; a bad number or date: nothing recorded."""
    sid = make_session(store, held_on="2026-06-20")
    store.knock_out(sid, OPERATOR, "P10", demo.REJECTION_REASON)
    store.recognise(sid, "1/QĐ-UBND", "2026-07-01", ["P01"])
    entries = len(store.audit_log(sid))

    with pytest.raises(SettingsError) as err:
        store.recognise(sid, "2/QĐ-UBND", "2026-07-02", ["P02", "P03", "P07", "P10", "P01", "X"])
    message = str(err.value)
    for part in (
        "product P03: may not be recognised (it reached 90 or more: it is forwarded to the Ministry",
        "product P07: may not be recognised (the council did not propose it for recognition (1★))",
        "product P10: may not be recognised (the council rejected it)",
        "product P01: may not be recognised (already recognised by decision 1/QĐ-UBND)",
        "product X: not in session hd-2026-1",
        "nothing was recorded",
    ):
        assert part in message, part
    with pytest.raises(SettingsError, match="decision date: expected on or after the council's sitting"):
        store.recognise(sid, "2/QĐ-UBND", "2026-06-01", ["P02"])
    with pytest.raises(SettingsError, match="decision date: expected a date YYYY-MM-DD, got '01/07/2026'"):
        store.recognise(sid, "2/QĐ-UBND", "01/07/2026", ["P02"])
    with pytest.raises(SettingsError, match="decision number: expected the decision's number"):
        store.recognise(sid, "  ", "2026-07-02", ["P02"])
    assert len(store.audit_log(sid)) == entries
    assert store.results(sid).product("P02").standing.status == "proposed"


def test_a_decision_is_recorded_after_the_session_is_finalised(store, make_session):
    """The decision comes after the meeting: a finalised session takes it (and only it)."""
    sid = make_session(store, held_on="2026-06-20")
    store.finalise(sid)
    store.recognise(sid, "9/QĐ-UBND", "2026-07-01", ["P06"])
    assert store.results(sid).product("P06").standing.status == "recognised"
    assert store.verify(sid).ok


# --- the Ministry's round -------------------------------------------------------------------------------


def test_the_central_result_comes_back(store, make_session):
    """P03 (97.89) is forwarded; rated 88.50 (4★) centrally, the province may then recognise it at 4★ (Điều 7.4)."""
    sid = make_session(store, held_on="2026-06-20")
    with pytest.raises(SettingsError, match="product P03: may not be recognised"):
        store.recognise(sid, "5/QĐ-UBND", "2026-07-01", ["P03"])

    back = store.import_central_result(sid, central(("P03", "88.50", 4)), "77/BNNMT", "2026-09-01")

    assert back.results[0].stars == 4
    p03 = store.results(sid).product("P03")
    assert p03.outcome == "forward_to_ministry"  # what the provincial council did stays as it was
    assert (p03.standing.status, p03.standing.stars) == ("central_below", 4)
    assert p03.as_json()["recognition"] == {
        "status": "central_below",
        "stars": 4,
        "decision": "77/BNNMT",
        "signed_on": "2026-09-01",
        "central": {"mean_total": "88.50", "stars": 4},
    }
    store.recognise(sid, "210/QĐ-UBND", "2026-09-15", ["P03"])
    assert store.results(sid).product("P03").standing.status == "recognised"
    with pytest.raises(SettingsError, match="already returned from the central council"):
        store.import_central_result(sid, central(("P03", "88.50", 4)), "78/BNNMT", "2026-09-02")
    assert store.verify(sid).ok


def test_a_central_5_star_is_the_ministrys(store, make_session):
    sid = make_session(store, held_on="2026-06-20")
    store.import_central_result(sid, central(("P03", "93.10", 5)), "80/QĐ-BNNMT", "2026-09-01")
    st = store.results(sid).product("P03").standing
    assert (st.status, st.stars, st.can_be_recognised) == ("central_5_star", 5, False)
    with pytest.raises(SettingsError, match="the central council rated it 5★: the Ministry recognises it"):
        store.recognise(sid, "6/QĐ-UBND", "2026-09-10", ["P03"])


def test_a_central_result_names_each_problem_and_records_nothing(store, make_session):
    sid = make_session(store, held_on="2026-06-20")
    with pytest.raises(ScoresInputError) as err:
        store.import_central_result(sid, central(("P03", "x", 4), level="province"), "1", "2026-09-01", name="r.json")
    assert [(p.key, p.got) for p in err.value.problems] == [("rules.level", "province")]

    bad = central(("P01", "85.00", 4), ("P03", "9x", 4), ("P03", "91.00", 7), ("NOPE", "80.00", 4))
    with pytest.raises(ScoresInputError) as err:
        store.import_central_result(sid, bad, "1", "2026-09-01", name="r.json")
    assert [p.key for p in err.value.problems] == [
        "products[0].product_id",  # P01 was proposed at the province, not forwarded
        "products[1].mean_total",
        "products[2].stars",
        "products[3].product_id",
    ]
    assert "a product this council forwarded to the Ministry" in str(err.value)
    assert store.state(sid).decisions == ()


def test_decisions_travel_in_the_session_file(store, make_session, tmp_path):
    """Export and import keep the decisions; a decision edited in the file is refused."""
    sid = make_session(store, held_on="2026-06-20")
    store.import_central_result(sid, central(("P03", "88.50", 4)), "77/BNNMT", "2026-09-01")
    store.recognise(sid, "210/QĐ-UBND", "2026-09-15")
    path = tmp_path / "s.json"
    path.write_bytes(dumps(store.export_session(sid)))

    doc = read_session_file(path)
    assert [d["number"] for d in doc["decisions"]] == ["77/BNNMT", "210/QĐ-UBND"]
    other = SessionStore(tmp_path / "other.sqlite")
    other.import_session(doc)
    assert other.results(sid).product("P03").as_json() == store.results(sid).product("P03").as_json()
    assert other.verify(sid).ok
    other.close()

    doc["decisions"][1]["products"].append("P07")
    path.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    with pytest.raises(ScoresInputError, match="decisions"):
        read_session_file(path)


def test_the_fast_json_writer_keeps_the_recognition_object(store, make_session):
    """``ocop session results --format json`` with decisions: the same bytes as the plain JSON dump."""
    sid = make_session(store, held_on="2026-06-20")
    store.recognise(sid, "123/QĐ-UBND", "2026-07-01", ["P04", "P09"])
    result = store.results(sid)
    fast = io.StringIO()
    write_json(result, fast)
    plain = json.dumps(result.as_json(), ensure_ascii=False, indent=1) + "\n"
    assert fast.getvalue() == plain
    assert '"recognition"' in plain and plain.count('"recognition"') == 2


def test_standing_without_a_session():
    """A CSV has no session: a proposal stays a proposal."""
    assert standing("P", "propose_recognition", 3, None).status == "proposed"
    assert standing("P", "forward_to_ministry", 5, None).status == "forwarded"
    assert standing("P", "rejected", 0, None).status == "rejected"


# --- knock-outs the ticks trigger -----------------------------------------------------------------------------


def test_a_triggered_knockout_is_confirmed_or_kept_with_a_reason(store, make_session):
    """The demo's P05: TV07 ticks "không đạt"-level points on 6.1 (impurities): flagged; the council decides."""
    sid = make_session(store, held_on="2026-06-20")
    p05 = store.results(sid).product("P05")
    assert [(k.criterion, k.members) for k in p05.knockout_triggered] == [("6.1", ("TV07",))]
    assert p05.outcome == "propose_recognition"  # a flag, not a rejection

    with pytest.raises(StoreError, match="a reason is required"):
        store.keep_despite_knockout(sid, OPERATOR, "P05", " ")
    store.keep_despite_knockout(sid, OPERATOR, "P05", "Hội đồng kiểm tra mẫu: không có tạp chất; TV07 chấm nhầm")
    assert store.state(sid).product("P05").knockout_kept.startswith("Hội đồng kiểm tra mẫu")
    store.knock_out(sid, OPERATOR, "P05", "tiêu chí 6.1: có tạp chất")
    product = store.state(sid).product("P05")
    assert (product.knockout, product.knockout_kept) == ("tiêu chí 6.1: có tạp chất", None)
    with pytest.raises(StoreError, match="withdraw the knock-out first"):
        store.keep_despite_knockout(sid, OPERATOR, "P05", "x")
    assert store.results(sid).product("P05").outcome == "rejected"
    assert store.verify(sid).ok


def test_the_cli_confirms_a_triggered_knockout_with_the_note_as_reason(tmp_path, library):
    """``ocop session knockout S P`` without --reason: the sheet's note is the reason (printed), only when triggered."""
    path = tmp_path / "s.sqlite"
    with SessionStore(path) as s:
        from tests.conftest import demo_session

        sid = demo_session(s, library, held_on="2026-06-20")
        note = s.sheet(sid, "qd26-2026-09").criterion("6.1").knockout_vi[0]
    out = ocop("session", "knockout", sid, "P05", "--store", str(path))
    assert out.returncode == 0, out.stderr
    assert f"tiêu chí 6.1: {note}" in out.stdout
    refused = ocop("session", "knockout", sid, "P01", "--store", str(path))
    assert refused.returncode == 2 and "--reason is required" in refused.stderr
    keep = ocop("session", "knockout", sid, "P01", "--keep", "--store", str(path))
    assert keep.returncode == 2 and "--reason is required" in keep.stderr
    with SessionStore(path) as s:
        assert s.state(sid).product("P05").knockout == f"tiêu chí 6.1: {note}"


def test_the_cli_records_recognition_and_the_central_result(tmp_path, library):
    path = tmp_path / "s.sqlite"
    with SessionStore(path) as s:
        from tests.conftest import demo_session

        sid = demo_session(s, library, held_on="2026-06-20")
    (tmp_path / "c.json").write_text(json.dumps(central(("P03", "88.50", 4))), encoding="utf-8")
    (tmp_path / "broken.json").write_text("{", encoding="utf-8")
    st = ("--store", str(path))
    out = ocop(
        "session",
        "import-central-result",
        sid,
        str(tmp_path / "c.json"),
        "--decision",
        "7/BNN",
        "--date",
        "2026-09-01",
        *st,
    )
    assert out.returncode == 0 and "P03: 88.50 (4★)" in out.stdout, out.stderr
    bad = ocop(
        "session",
        "import-central-result",
        sid,
        str(tmp_path / "broken.json"),
        "--decision",
        "7",
        "--date",
        "2026-09-01",
        *st,
    )
    assert bad.returncode == 2 and "broken.json" in bad.stderr and "Traceback" not in bad.stderr
    out = ocop("session", "recognise", sid, "--decision", "300/QĐ-UBND", "--date", "2026-09-20", *st)
    assert out.returncode == 0, out.stderr
    assert "recognised P01, P02, P03, P04, P05, P06, P08, P09" in out.stdout
    res = json.loads(ocop("session", "results", sid, "--format", "json", *st).stdout)
    by_id = {p["product_id"]: p for p in res["products"]}
    assert by_id["P03"]["recognition"]["status"] == "recognised" and "recognition" not in by_id["P07"]


# --- sheet 26: one case per product ---------------------------------------------------------------------------------


def test_the_first_case_bound_tick_sets_the_case_and_the_other_case_is_refused(store, make_session, library):
    sid = make_session(store, held_on="2026-06-20", with_cards=False)
    store.add_products(sid, [ProductSpec("T1", "Điểm du lịch thác", "qd26-2026-26", province="Lâm Đồng")])
    assert store.state(sid).product("T1").case is None
    store.tick(sid, OPERATOR, "T1", "TV01", "9", 0)  # "không đạt" belongs to every case
    assert store.state(sid).product("T1").case is None
    store.tick(sid, OPERATOR, "T1", "TV01", "8", 4)  # case b
    assert store.state(sid).product("T1").case == "b"
    assert store.audit_log(sid)[-2].action == "set_case"
    with pytest.raises(ScorecardError) as err:
        store.tick(sid, OPERATOR, "T1", "TV02", "15", 1)  # another member, case a
    assert str(err.value) == (
        "product T1, member TV02: criterion 15: option 1 is of case a (Trường hợp 1: Dịch vụ du lịch do cộng đồng "
        "cung cấp), but the product is scored in case b (set by the product's case); a card uses the options of one case"
    )
    with pytest.raises(ScorecardError, match="criterion 8: option 2 is of case a"):
        store.enter_card(sid, OPERATOR, "T1", "TV03", {**best_choices(library.sheet("qd26-2026-26"), "a")})
    store.enter_card(sid, OPERATOR, "T1", "TV03", best_choices(library.sheet("qd26-2026-26"), "b"), submit=True)
    assert store.verify(sid).ok


def test_the_case_from_the_products_list(store, make_session):
    sid = make_session(store, with_cards=False)
    store.add_products(sid, [ProductSpec("T2", "Du lịch sinh thái", "qd26-2026-26", case="a")])
    assert store.state(sid).product("T2").case == "a"
    with pytest.raises(ScorecardError, match="criterion 8: option 3 is of case b"):
        store.tick(sid, OPERATOR, "T2", "TV01", "8", 3)
    with pytest.raises(SettingsError, match="case 'c' is not a case of sheet qd26-2026-26 \\(a, b\\)"):
        store.add_products(sid, [ProductSpec("T3", "x", "qd26-2026-26", case="c")])
    with pytest.raises(SettingsError, match="sheet qd26-2026-01 \\(it has no cases\\)"):
        store.add_products(sid, [ProductSpec("T4", "x", "qd26-2026-01", case="a")])


def test_a_scores_csv_mixing_cases_names_the_line(tmp_path, library):
    from ocop_scoring.scores_io import read_scores_csv

    sheet = library.sheet("qd26-2026-26")
    rows = ["product_id,sheet_id,member_id,criterion,option"]
    choices = {**best_choices(sheet, "a"), "15": 3}
    rows += [f"T,qd26-2026-26,TV01,{code},{number}" for code, number in choices.items()]
    path = tmp_path / "s.csv"
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    line = 2 + list(choices).index("15")
    with pytest.raises(ScoresInputError) as err:
        read_scores_csv(path, library.sheets)
    [problem] = err.value.problems
    assert (problem.line, problem.key) == (line, "option")
    assert "an option of case a for product T, member TV01 (the case of criterion 8 on the same card" in str(problem)
    assert "option 3 of case b" in str(problem)


# --- a provincial council scores its own province's products ---------------------------------------------------------


def test_a_provincial_council_refuses_another_provinces_product(store, make_session):
    sid = make_session(store, with_cards=False)
    assert {p.province for p in store.state(sid).products} == {"Lâm Đồng"}  # the demo is one province's council
    store.add_products(sid, [ProductSpec("X1", "Cà phê", "qd26-2026-13", province="tỉnh  LÂM ĐỒNG")])
    with pytest.raises(SettingsError) as err:
        store.add_products(
            sid,
            [
                ProductSpec("X2", "Chè", "qd26-2026-11", province="Lâm Đồng"),
                ProductSpec("X3", "Gạo", "qd26-2026-03", province="Điện Biên"),
            ],
        )
    assert str(err.value) == (
        "product X3: province 'Điện Biên' is not the council's province 'Lâm Đồng' (a provincial council scores its "
        "own province's products, Decision 26/2026, Điều 7); nothing was added"
    )
    assert not store.state(sid).has_product("X2")


def test_the_central_council_scores_every_province(store, library):
    store.create_session("tw-2026", "Hội đồng cấp trung ương", library, level="central")
    store.add_products(
        "tw-2026",
        [
            ProductSpec("A", "a", "qd26-2026-03", province="Lâm Đồng"),
            ProductSpec("B", "b", "qd26-2026-03", province="Điện Biên"),
        ],
    )
    assert len(store.state("tw-2026").products) == 2


def test_the_dashboard_says_recognised_once_the_decision_is_recorded(store, make_session):
    """ "Đề xuất công nhận 4★" until the decision; then "Đã công nhận 4★ (Quyết định số …)"; the Ministry's round too."""
    from ocop_scoring.texts import load_texts
    from ocop_scoring.views.dashboard import Snapshot, outcome_text

    sid = make_session(store, held_on="2026-06-20")
    texts = load_texts()

    def words(pid, lang="vi"):
        state = store.state(sid)
        result = store.results(sid, state)
        snapshot = Snapshot(0, state, result, store.sheets(sid), store.ruleset(sid))
        return outcome_text(result.product(pid), snapshot, texts, lang)

    assert words("P01") == "Đề xuất công nhận 4★"
    store.recognise(sid, "123/QĐ-UBND", "2026-07-01", ["P01"])
    assert words("P01") == "Đã công nhận 4★ (Quyết định số 123/QĐ-UBND)"
    assert words("P01", "en") == "Recognised at 4★ (Decision No. 123/QĐ-UBND)"
    store.import_central_result(sid, central(("P03", "88.50", 4)), "77/BNNMT", "2026-09-01")
    assert words("P03") == "HĐ Trung ương: 88.50 điểm, 4★ — tỉnh xem xét công nhận 4★"


def test_report_documents_and_ocop_score_carry_the_decision(store, make_session, tmp_path):
    """A session file with a recorded decision: `ocop score` JSON has `recognition`, the report and the summary
    table say "đã công nhận 4★ (Quyết định số …)"; the products without a decision stay proposals."""
    from ocop_scoring.documents import outcome_text
    from ocop_scoring.report import SessionReport, load_source

    sid = make_session(store, held_on="2026-06-20")
    store.recognise(sid, "123/QĐ-UBND", "2026-07-01", ["P01"])
    path = tmp_path / "s.json"
    path.write_bytes(dumps(store.export_session(sid)))

    out = ocop("score", str(path), "--format", "json")
    by_id = {p["product_id"]: p for p in json.loads(out.stdout)["products"]}
    assert by_id["P01"]["recognition"]["decision"] == "123/QĐ-UBND" and "recognition" not in by_id["P02"]
    report = SessionReport(load_source(path))
    assert outcome_text(report, report.result.product("P01")) == "đã công nhận 4★ (Quyết định số 123/QĐ-UBND)"
    assert outcome_text(report, report.result.product("P02")) == "đề xuất công nhận 3★"
    assert report._recognition(report.result.product("P01")) == "đã công nhận 4★ (Quyết định số 123/QĐ-UBND)"
