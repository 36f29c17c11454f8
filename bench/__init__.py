"""Benchmarks: each `bench/<area>_*.py` exposes `main() -> list[dict]`; `make bench` runs them all."""
