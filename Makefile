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

# The fuzz pass of issue 12 in full (tests/coinshop/test_fuzz.py): about 10,000 generated requests over every form and
# JSON endpoint; the suite runs the same test with a dozen examples per endpoint.
.PHONY: fuzz
fuzz:
	bin/setup
	FUZZ_EXAMPLES=$${FUZZ_EXAMPLES:-300} FUZZ_RANDOM=$${FUZZ_RANDOM:-1} .venv/bin/pytest -q -p no:randomly tests/coinshop/test_fuzz.py
