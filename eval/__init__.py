"""Evaluation on the fixed Q&A set and benchmarks on public data."""
