# One target: the benchmarks of issue 7 (bench/run.py). They print a table; they are not part of the test suite.
.PHONY: bench
bench:
	bin/setup
	.venv/bin/python -m bench.run

# The live-room benchmark of issue 10 (bench/live.py): viewers held per room, built-in server against nginx + nchan.
.PHONY: bench-live
bench-live:
	bin/setup
	.venv/bin/python -m bench.live
