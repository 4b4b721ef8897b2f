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

# The fuzz pass of issue 12 in full (tests/coinshop/test_fuzz.py): about 11,500 generated requests over every form and
# JSON endpoint (57 of them, 180 generated examples each plus 22 odd values); the suite runs the same test with a dozen
# examples per endpoint.
.PHONY: fuzz
fuzz:
	bin/setup
	FUZZ_EXAMPLES=$${FUZZ_EXAMPLES:-180} FUZZ_RANDOM=$${FUZZ_RANDOM:-1} .venv/bin/pytest -q -p no:randomly tests/coinshop/test_fuzz.py

# Mutation testing of the money core (issue 12, acceptance 4; tests/MUTATION.md): mutmut over the ledger, purchase
# confirmation, claw-backs and disputes, gift send and undo, on PostgreSQL and Redis so the PostgreSQL-only tests
# count too. One mutant at a time (MUTATION_CHILDREN), 1.5-2.5 hours on 2 shared cores; progress in mutants/run.log.
# Prints killed/timeout/survived per file and the score over the mutants that change behaviour.
MUTATION_PG ?= postgres://postgres@127.0.0.1:5432
MUTATION_REDIS ?= redis://127.0.0.1:6379
MUTATION_CHILDREN ?= 1
MUTATION_SERVICES = purchase_confirm purchases_expire_stale _send_receipt purchase_claw_back purchase_dispute_won \
	debt_settle webhook_receive _event_amount payment_event_handle
MUTATION_MUTANTS = 'wallet.ledger.*' 'wallet.refunds.*' 'gifts.sending.services.*' \
	$(foreach f,$(MUTATION_SERVICES),'wallet.services.x_$(f)__mutmut_*')
.PHONY: mutation
mutation:
	bin/setup
	rm -rf mutants && mkdir mutants
	psql "$(MUTATION_PG)/postgres" -w -q -c "DROP DATABASE IF EXISTS test_coinshop_mut WITH (FORCE)"
	.venv/bin/python -c 'import redis, sys; [redis.Redis.from_url(u).flushdb() for u in sys.argv[1:]]' \
		"$(MUTATION_REDIS)/10" "$(MUTATION_REDIS)/11"
	DATABASE_URL=$(MUTATION_PG)/coinshop_mut CELERY_BROKER_URL=$(MUTATION_REDIS)/10 REDIS_URL=$(MUTATION_REDIS)/11 \
		COINSHOP_REQUIRE_SERVICES=1 .venv/bin/mutmut run --max-children $(MUTATION_CHILDREN) $(MUTATION_MUTANTS) \
		> mutants/run.log 2>&1 || { tail -n 60 mutants/run.log; exit 1; }
	.venv/bin/python tests/mutation_summary.py $(MUTATION_MUTANTS)
