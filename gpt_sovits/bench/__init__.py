"""Speed benchmarks of the networks (random weights; never part of the test run)."""
