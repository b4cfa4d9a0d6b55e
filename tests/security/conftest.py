"""A security administrator next to the shared world's accounts, and sign-in helpers."""
import pytest

from inspect_app.extensions import db
from inspect_app.roles import Role
from tests.factories import make_user


@pytest.fixture
def secadmin(world):
    """The 安全管理员 account (the shared world predates the role); `login_as("secadmin")` works."""
    world.users["secadmin"] = make_user("secadmin", Role.SECURITY_ADMIN)
    db.session.commit()   # a refused request rolls the shared session back: keep the account
    return world.users["secadmin"]


def post_login(client, username, password, address="127.0.0.1", **kwargs):
    """Sign in through the form, from `address` (REMOTE_ADDR)."""
    return client.post("/login", data={"username": username, "password": password},
                       environ_base={"REMOTE_ADDR": address}, **kwargs)
