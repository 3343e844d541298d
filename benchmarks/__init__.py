"""What `make bench` measures. Run with `python -m benchmarks` from the repository root."""
