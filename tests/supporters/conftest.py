from tests.gifts.conftest import catalog, creator, live, plan  # noqa: F401 - the gifts tests' fixtures
