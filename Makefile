# One target: the benchmarks of issue 7 (bench/run.py). They print a table; they are not part of the test suite.
.PHONY: bench
bench:
	bin/setup
	.venv/bin/python -m bench.run
