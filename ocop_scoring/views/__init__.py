"""The council's pages as ipywidgets composites; what the notebooks call.

Layer: views. Each factory resolves its store, session and token (explicit
arguments, then the page URL's query, then ``$OCOP_STORE`` / ``$OCOP_SESSION``)
and returns one widget; an unusable link or session gives a page that says
so, never a traceback.
"""

from __future__ import annotations

from typing import Any


def member_app(**kwargs: Any) -> Any:
    """The member form (``notebooks/member.ipynb``)."""
    from ocop_scoring.views.member import member_app as factory

    return factory(**kwargs)


def secretary_app(**kwargs: Any) -> Any:
    """The secretary's page (``notebooks/secretary.ipynb``)."""
    from ocop_scoring.views.secretary import secretary_app as factory

    return factory(**kwargs)


def council_app(**kwargs: Any) -> Any:
    """The projector dashboard (``notebooks/council.ipynb``)."""
    from ocop_scoring.views.dashboard import council_app as factory

    return factory(**kwargs)


def criteria_app(**kwargs: Any) -> Any:
    """The criteria workbench (``notebooks/criteria.ipynb``)."""
    from ocop_scoring.views.workbench import criteria_app as factory

    return factory(**kwargs)


def programme_app(**kwargs: Any) -> Any:
    """The OCOP programme page (``notebooks/programme.ipynb``)."""
    from ocop_scoring.views.programme import programme_app as factory

    return factory(**kwargs)


__all__ = ["council_app", "criteria_app", "member_app", "programme_app", "secretary_app"]
