from tests.gifts.conftest import catalog, creator, live, plan  # noqa: F401 - the gifts tests' fixtures
from tests.payouts.conftest import earn, payee  # noqa: F401 - the payouts tests' fixtures
