"""``python -m ocop_scoring`` runs the ``ocop`` command."""

from ocop_scoring.cli import main

if __name__ == "__main__":
    raise SystemExit(main())
