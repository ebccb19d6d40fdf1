"""The bundled demo council."""

from __future__ import annotations

from ocop_scoring.demo import PRODUCTS, demo_dir, write_demo_files


def test_bundled_files_match_the_generator(library, tmp_path):
    """The committed demo CSVs are exactly what the seeded generator writes (they cannot drift)."""
    for path in write_demo_files(tmp_path, library.sheets):
        assert path.read_bytes() == (demo_dir() / path.name).read_bytes(), path.name


def test_demo_covers_every_path(library):
    """At least six sheets; a 5★ forwarded product, a capped star, a spread over 10, a recusal, a knock-out."""
    from ocop_scoring.demo import demo_rejections, demo_scorecards
    from ocop_scoring.scoring import build_card_set, score_council

    result = score_council(
        build_card_set(demo_scorecards(library.sheets), library.sheets),
        library.sheets,
        library.ruleset("qd26-2026"),
        rejections=demo_rejections(),
    )

    assert len({p.sheet_id for p in PRODUCTS}) >= 6
    assert any(r.forwarded_to == "central" and r.stars == 5 for r in result)
    assert any(r.stars < r.band_stars and not r.rejected for r in result)
    assert any(r.needs_discussion and r.spread > 10 for r in result)
    assert any(r.members == 8 for r in result)
    assert any(r.rejected for r in result)
    assert any(r.stars <= 2 and not r.rejected for r in result)
    assert any(s.rule == "condition" for r in result for s in r.explanation.steps)
