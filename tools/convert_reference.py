"""Convert the reference transcription of Decision 26/2026 into the project's sheet files.

Usage::

    python tools/convert_reference.py TRANSCRIPTION.yaml [criteria/qd26-2026]

Reads a machine-readable transcription of all 26 sheets of Phụ lục II of
Decision 26/2026 and writes one human-editable file per sheet (format
``ocop-criteria/1``, see ``criteria/README.md``). Vietnamese text is copied
verbatim (the ***/****/***** markers move to ``star:``). The printing anomalies
(the table in ``criteria/README.md``) are applied with an ``anomaly:`` record
beside the value used; nothing is fixed silently.

The shipped sheets were made with it once and then completed by hand in review
(the English gloss of every text, ``knockout_rules``, the anomalies of sheet 7
3.1 and sheets 21/22 6.2): after a correction of the transcription, run it into
another folder and carry the corrected Vietnamese text over by a reviewed diff,
never over the shipped files.
"""

from __future__ import annotations

import sys
import unicodedata
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from ocop_scoring.yamlio import dump_yaml  # noqa: E402

REFERENCE_NOTE = "criteria/README.md"

TITLES_EN = {
    1: "Fresh vegetables, tubers, fruit and nuts",
    2: "Fresh meat, aquatic products, eggs and milk",
    3: "Rice, cereals and other pre-processed grains",
    4: "Honey, other syrups and other agricultural food products",
    5: "Fast food",
    6: "Processed rice and cereal products",
    7: "Processed vegetables, tubers, fruit and nuts",
    8: "Processed meat, aquatic products, eggs, milk, honey products and other farm foods",
    9: "Soy sauce, fish sauce and other liquid seasonings",
    10: "Other seasonings (salt, shallots, garlic, pepper…)",
    11: "Fresh and processed tea",
    12: "Tea products from other plants",
    13: "Coffee and cocoa products",
    14: "White spirits",
    15: "Other alcoholic drinks",
    16: "Natural mineral water and bottled drinking water",
    17: "Other non-alcoholic drinks",
    18: "Functional foods, herbal medicines and traditional medicines",
    19: "Cosmetics with herbal ingredients",
    20: "Essential oils and other herbal products",
    21: "Household and decorative handicrafts",
    22: "Textiles and garments",
    23: "Flowers",
    24: "Ornamental plants",
    25: "Ornamental animals",
    26: "Community tourism, eco-tourism services and tourist sites",
}

STORY_NOTE = "Chỉ áp dụng khi có câu chuyện sản phẩm"


def nfc(value: Any) -> Any:
    """Normalise every string in a nested structure to NFC."""
    if isinstance(value, str):
        return unicodedata.normalize("NFC", value)
    if isinstance(value, list):
        return [nfc(v) for v in value]
    if isinstance(value, dict):
        return {k: nfc(v) for k, v in value.items()}
    return value


def drop_none(value: Any) -> Any:
    """Leave out keys whose value is None (an unglossed text_en, say)."""
    if isinstance(value, list):
        return [drop_none(v) for v in value]
    if isinstance(value, dict):
        return {k: drop_none(v) for k, v in value.items() if v is not None}
    return value


def anomaly(printed: str, note_vi: str, note_en: str) -> dict[str, str]:
    return {"printed": printed, "note_vi": note_vi, "note_en": note_en}


def convert_option(sheet_no: int, code: str, raw: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    points = raw.get("points")
    typo = raw.get("source_typo")
    if points is None:
        # Criterion 1.2 of sheets 4, 7, 10, 11: blank score cell.
        out["points"] = 0
        out["anomaly"] = anomaly(
            "",
            "Ô điểm để trống trong văn bản in; dùng 0 điểm như phương án giống hệt ở các bộ tiêu chí khác"
            f" (xem {REFERENCE_NOTE}).",
            "The score cell is blank in the printed text; 0 is used, as the identical option scores in"
            f" the other sheets (see {REFERENCE_NOTE}).",
        )
    elif typo:
        used = {13: 3, 11: 1}[points]
        out["points"] = used
        out["anomaly"] = anomaly(
            str(points),
            f"Văn bản in ghi {points} điểm, vượt điểm tối đa của tiêu chí; dùng {used} điểm (xem {REFERENCE_NOTE}).",
            f"The printed text gives {points} points, above the criterion's maximum; {used} is used"
            f" (see {REFERENCE_NOTE}).",
        )
    else:
        out["points"] = points
    if raw.get("star_marker"):
        out["star"] = raw["star_marker"]
    if raw.get("case"):
        out["case"] = raw["case"]
    out["text_vi"] = raw["text_vi"]
    out["text_en"] = raw.get("text_en")
    if "anomaly" in out:
        out["anomaly"] = out.pop("anomaly")
    _ = (sheet_no, code)
    return out


def convert_node(sheet_no: int, raw: dict[str, Any], kind: str) -> dict[str, Any]:
    code = str(raw["code"])
    out: dict[str, Any] = {"code": code, "text_vi": raw["text_vi"], "text_en": raw.get("text_en")}
    max_points = raw["max_points"]
    out["max_points"] = max_points
    if raw.get("points_cell_raw"):
        out["anomaly"] = anomaly(
            str(raw["points_cell_raw"]),
            f'Ô điểm in "{raw["points_cell_raw"]}"; dùng {max_points} điểm (tổng Phần C khi đó bằng 35)'
            f" (xem {REFERENCE_NOTE}).",
            f'The score cell reads "{raw["points_cell_raw"]}"; {max_points} is used (Part C then adds'
            f" to 35) (see {REFERENCE_NOTE}).",
        )
    if sheet_no == 23 and code == "6.2":
        out["anomaly"] = anomaly(
            "1, 1",
            "Hai phương án cùng được in 1 điểm; giữ nguyên như văn bản in.",
            "Two options are both printed as worth 1 point; kept as printed.",
        )
    knockouts = list(raw.get("knockout_rule_vi") or [])
    notes = [n for n in (raw.get("notes_vi") or []) if n not in knockouts]
    if STORY_NOTE in notes:
        notes.remove(STORY_NOTE)
        out["condition"] = {"criterion": "5.1", "min_points": 1, "note_vi": STORY_NOTE}
    if notes:
        out["notes_vi"] = notes
    if knockouts:
        out["knockout_vi"] = knockouts
    if raw.get("choose_one_case_vi"):
        out["cases"] = dict(raw["choose_one_case_vi"])
    children_key = {"group": "criteria", "criterion": "sub_criteria"}.get(kind)
    raw_children = raw.get(children_key) if children_key else None
    if raw_children:
        child_kind = {"group": "criterion", "criterion": "sub_criterion"}[kind]
        out[children_key] = [convert_node(sheet_no, c, child_kind) for c in raw_children]
    elif raw.get("options"):
        out["options"] = [convert_option(sheet_no, code, o) for o in raw["options"]]
    elif raw.get("options_gap"):
        # Yes/no criteria printed without options (bilingual labelling, 22 sheets).
        out["options"] = [
            {"points": 0, "text_vi": "Không", "text_en": "No"},
            {"points": max_points, "text_vi": "Có", "text_en": "Yes"},
        ]
        out["anomaly"] = anomaly(
            "(không in phương án)",
            f'Văn bản in không có phương án trả lời; dùng phương án 1 "Không" = 0 điểm và phương án 2'
            f' "Có" = {max_points} điểm (xem {REFERENCE_NOTE}).',
            f'The printed text has no answer options; option 1 "Không" (no) = 0 and option 2 "Có"'
            f" (yes) = {max_points} are used (see {REFERENCE_NOTE}).",
        )
    else:
        msg = f"sheet {sheet_no} criterion {code}: neither options nor children"
        raise SystemExit(msg)
    return out


def convert_sheet(raw: dict[str, Any]) -> dict[str, Any]:
    no = raw["sheet_no"]
    cls = raw["classification_phu_luc_I"]
    classification: dict[str, Any] = {
        "sector": {"code": cls["nganh_code"], "vi": cls["nganh_vi"]},
        "group": {"code": str(cls["nhom_code"]), "vi": cls["nhom_vi"]},
    }
    if cls.get("phan_nhom_code"):
        classification["subgroup"] = {"code": cls["phan_nhom_code"], "vi": cls["phan_nhom_vi"]}
    classification["ministry_vi"] = cls.get("managing_ministry_vi")
    notes = [
        "Văn bản tiếng Việt chép nguyên văn; dấu sao (***, ****, *****) in sau phương án được ghi ở"
        " trường star. Bản dịch tiếng Anh (text_en) là diễn giải, không chính thức.",
    ]
    if raw.get("star_marker_note_gap"):
        notes.append(
            'Bộ tiêu chí này không in dòng ghi chú "Dấu sao là yêu cầu tối thiểu…" nhưng có phương án'
            " gắn dấu sao; dấu sao được hiểu như ở các bộ tiêu chí khác."
        )
    out: dict[str, Any] = {
        "format": "ocop-criteria/1",
        "id": f"qd26-2026-{no:02d}",
        "ruleset": "qd26-2026",
        "number": no,
        "title_vi": raw["sheet_heading_vi"],
        "title_en": TITLES_EN[no],
        "classification": classification,
        "classification_line_vi": raw.get("classification_line_in_sheet_vi"),
        "source": (
            f"Quyết định số 26/2026/QĐ-TTg ngày 22/5/2026 của Thủ tướng Chính phủ, Phụ lục II,"
            f" bộ tiêu chí số {no} ({raw['sheet_title_vi_index']}); chép từ"
            " bản chép máy đọc được của Phụ lục II bằng tools/convert_reference.py"
        ),
        "notes": notes,
        "dossier_knockouts_vi": list(raw.get("dossier_disqualification_vi") or []),
        "star_note_vi": raw.get("star_marker_note_vi"),
        "total_points": raw["total_points_stated"],
        "parts": [],
    }
    if not out["dossier_knockouts_vi"]:
        del out["dossier_knockouts_vi"]
    if not out["star_note_vi"]:
        del out["star_note_vi"]
    for part in raw["parts"]:
        p: dict[str, Any] = {
            "code": part["part"],
            "label_vi": part["label_vi"],
            "label_en": part.get("text_en"),
            "max_points": part["max_points"],
        }
        if part.get("source_inconsistency"):
            p["anomaly"] = anomaly(
                "(35 Điểm)",
                'Tiêu đề Phần A in "(35 Điểm)" nhưng cột điểm ghi 40 và các nhóm tiêu chí cộng lại'
                f" 40; dùng 40 (xem {REFERENCE_NOTE}).",
                'The Part A heading prints "(35 Điểm)" but the points column says 40 and its groups add'
                f" to 40; 40 is used (see {REFERENCE_NOTE}).",
            )
        p["groups"] = [convert_node(no, g, "group") for g in part["criterion_groups"]]
        out["parts"].append(p)
    return drop_none(nfc(out))


HEADER = """\
# Bộ tiêu chí số {no} - {title}
# Criteria sheet {no} of Decision 26/2026/QĐ-TTg, Phụ lục II. Format: criteria/README.md.
# Generated by tools/convert_reference.py from the reference transcription; edits go through a
# review against the decision text. Validate with: ocop sheets validate {path}
"""


def main(argv: list[str]) -> int:
    if len(argv) < 2:
        print(__doc__, file=sys.stderr)
        return 2
    src = Path(argv[1])
    dest = Path(argv[2]) if len(argv) > 2 else ROOT / "criteria/qd26-2026"
    data = yaml.load(src.read_text(encoding="utf-8"), Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    dest.mkdir(parents=True, exist_ok=True)
    for raw in data["sheets"]:
        sheet = convert_sheet(raw)
        path = dest / f"{sheet['id']}.yaml"
        rel = path.relative_to(ROOT) if path.is_relative_to(ROOT) else path
        text = HEADER.format(no=sheet["number"], title=sheet["title_vi"], path=rel) + dump_yaml(sheet)
        path.write_text(text, encoding="utf-8")
        print(f"wrote {rel}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))
