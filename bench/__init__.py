"""Atelier's benchmarks: speed and memory figures for issue #6 (see README.md)."""
