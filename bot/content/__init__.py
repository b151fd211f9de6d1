"""Everything a user reads: loaded from `data/`, validated, and served by language."""
