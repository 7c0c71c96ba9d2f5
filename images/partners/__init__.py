"""Partner sharing: an account lets another see its whole library (issue 20, item 4)."""
