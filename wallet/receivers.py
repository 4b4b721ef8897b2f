from typing import Any

from accounts.models import User

from .services import user_balances_forfeit


def forfeit_on_account_deletion(sender: type[User], user: User, **kwargs: Any) -> None:
    user_balances_forfeit(user=user)
