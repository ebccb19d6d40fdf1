"""The programme page without a browser: counts, progress against targets, province select, refresh, links."""

from __future__ import annotations

from html.parser import HTMLParser

import ipywidgets as ipw
import pytest

from ocop_scoring import demo
from ocop_scoring.store import OPERATOR
from ocop_scoring.views import contract
from ocop_scoring.views.programme import ProgrammePage, programme_app


class _Elements(HTMLParser):
    """Every element of an HTML fragment as (tag, attributes)."""

    def __init__(self, source: str) -> None:
        super().__init__()
        self.elements: list[tuple[str, dict[str, str]]] = []
        self.feed(source)

    def handle_starttag(self, tag, attrs):
        self.elements.append((tag, {k: v or "" for k, v in attrs}))

    def having(self, tag: str, attr: str) -> list[dict[str, str]]:
        return [a for t, a in self.elements if t == tag and attr in a]


def _token(store, session, role="secretary") -> str:
    return next(m.token for m in store.state(session).members if m.role == role)


def _rows(html: str, dimension: str) -> dict[str, dict[str, str]]:
    """The rows of one table of counts, by key."""
    start = html.index(f'data-dimension="{dimension}"')
    table = html[start : html.index("</table>", start)]
    return {a["data-key"]: a for a in _Elements(table).having("tr", "data-key") if a["data-key"]}


def _targets(page: ProgrammePage) -> dict[str, dict[str, str]]:
    return {a["data-year"]: a for a in _Elements(page.progress_html.value).having("li", "data-status")}


def test_programme_page_counts_every_session(two_sessions):
    """A token of the 2025 council (Lâm Đồng's) opens the page on Lâm Đồng; every province: 7 certified and
    1 provisional OCOP products (P03 and D01, 90+, are forwarded to the Ministry), Điện Biên's progress,
    three charts."""
    page = programme_app(store=two_sessions, token=_token(two_sessions, "hd-2025"), as_of=2026)

    assert isinstance(page, ProgrammePage)
    assert contract.PROGRAMME in page._dom_classes
    assert contract.PROVINCE_PICKER in page.picker._dom_classes
    assert contract.PROGRAMME_TABLES in page.tables_html._dom_classes
    assert page.picker.value == "Lâm Đồng"
    page.show("")
    assert page.province is None
    head = _Elements(page.head_html.value).having("div", "data-recognised")[0]
    assert (head["data-recognised"], head["data-provisional"], head["data-products"]) == ("7", "1", "14")
    provinces = _rows(page.tables_html.value, "province")
    assert (provinces["Điện Biên"]["data-recognised"], provinces["Điện Biên"]["data-provisional"]) == ("0", "1")
    assert provinces["Lâm Đồng"]["data-total"] == "10"
    years = {a["data-year"]: a for a in _Elements(page.tables_html.value).having("tr", "data-year")}
    assert (years["2025"]["data-cumulative"], years["2026"]["data-with-provisional"]) == ("7", "8")
    assert _targets(page)["2030"]["data-status"] == "behind"  # Điện Biên, the one province with a targets file
    assert page.charts_html.value.count("<svg") == 3
    assert "Theo tỉnh, thành phố" in page.tables_html.value


def test_programme_page_opens_on_the_tokens_province(two_sessions):
    """The Điện Biên council's token shows Điện Biên against its targets: 2020 missed, 2030 behind
    with 0 certified and 1 provisional (D01 is forwarded), 62 to go; the years table carries the targets."""
    page = programme_app(store=two_sessions, token=_token(two_sessions, "db-2026", "member"), as_of=2026)

    assert page.picker.value == "Điện Biên"
    targets = _targets(page)
    assert (targets["2020"]["data-status"], targets["2020"]["data-gap"]) == ("missed", "21")
    t2030 = targets["2030"]
    assert (t2030["data-status"], t2030["data-achieved"], t2030["data-provisional"], t2030["data-gap"]) == (
        "behind",
        "0",
        "1",
        "62",
    )
    assert "45,6" in page.progress_html.value and "issue" in page.progress_html.value
    years = {a["data-year"]: a for a in _Elements(page.tables_html.value).having("tr", "data-year")}
    assert (years["2020"]["data-target"], years["2030"]["data-target"], years["2026"]["data-with-provisional"]) == (
        "21",
        "62",
        "1",
    )
    communes = _rows(page.tables_html.value, "commune")
    assert communes["xã Mường Phăng, Điện Biên"]["data-total"] == "2"
    assert "Theo xã, phường" in page.tables_html.value


def test_programme_page_switches_province_and_language(two_sessions):
    """Picking a province without a targets file says so; English re-renders from the same read."""
    page = programme_app(store=two_sessions, token=_token(two_sessions, "hd-2025"), as_of=2026)
    reads = page.reads

    page.show("Lâm Đồng")
    assert "Chưa có tệp mục tiêu cho Lâm Đồng" in page.progress_html.value
    assert _Elements(page.head_html.value).having("div", "data-province")[0]["data-province"] == "Lâm Đồng"
    page.lang_toggle.value = "en"

    assert "No targets file for Lâm Đồng" in page.progress_html.value
    assert "OCOP programme" in page.head_html.value
    assert page.refresh_button.description == "Refresh"
    assert page.picker.value == "Lâm Đồng"
    assert page.reads == reads


def test_programme_page_refresh_reads_the_store_again(two_sessions, library):
    """Once the Điện Biên council scores D04 and finalises, a refresh counts 2 certified products there."""
    page = programme_app(store=two_sessions, token=_token(two_sessions, "db-2026"), as_of=2026)
    cards = [c for c in demo.demo_scorecards(library.sheets) if c.product_id == "P06"]
    two_sessions.enter_cards(
        "db-2026", OPERATOR, [("D04", c.member_id, dict(c.choices), None) for c in cards], submit=True
    )
    two_sessions.finalise("db-2026")

    page.refresh_button.click()

    assert page.reads == 2
    assert _targets(page)["2030"]["data-achieved"] == "2"  # D02 3★, D04 4★ (D01, 90+, is at the Ministry)
    head = _Elements(page.head_html.value).having("div", "data-recognised")[0]
    assert (head["data-recognised"], head["data-provisional"]) == ("2", "0")


@pytest.mark.parametrize("token", ["not-a-token", "", None])
def test_programme_page_needs_a_token_of_the_store(two_sessions, token, monkeypatch):
    """Results are confidential: without a valid token the page says so."""
    monkeypatch.delenv("QUERY_STRING", raising=False)
    monkeypatch.delenv("OCOP_TOKEN", raising=False)

    page = programme_app(store=two_sessions, token=token)

    assert isinstance(page, ipw.HTML) and "ocop-error-page" in page.value
    assert "Đường dẫn không hợp lệ" in page.value


def test_programme_page_missing_store(tmp_path):
    """A store file that does not exist is reported, not created."""
    page = programme_app(store=str(tmp_path / "none.sqlite"), token="x")

    assert "ocop-error-page" in page.value
    assert not (tmp_path / "none.sqlite").exists()


def test_session_links_include_the_programme(two_sessions):
    """`ocop session links` gives the programme page with the projector's token."""
    from ocop_scoring.serve import NOTEBOOKS, session_links

    links = session_links(two_sessions, "hd-2025", "http://127.0.0.1:8866/")

    assert links.programme.startswith("http://127.0.0.1:8866/voila/render/programme.ipynb?token=")
    assert links.as_json()["programme"] == links.programme
    assert links.programme.split("token=")[1] == links.council.split("token=")[1]
    assert "programme.ipynb" in NOTEBOOKS
