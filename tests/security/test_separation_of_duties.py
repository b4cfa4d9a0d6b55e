"""三权分立 (issue 11, seen 5): the system admin manages ordinary accounts only, the security admin
the admin-class passwords and the locks, only the audit admin reads the audit log, and no
admin-class account acts on its own class's members.

Before: the system admin reset the audit admin's password (and could then sign in as them),
disabled the auditor, created more audit admins, and read the audit log.
"""
import pytest
import sqlalchemy as sa

from inspect_app import access
from inspect_app.auth.models import User
from inspect_app.extensions import db
from inspect_app.roles import Role
from tests.factories import make_user

NEW_PASSWORD = "Qz7!mTb4Kx"
ADMIN_CLASS = {"admin": Role.SYSTEM_ADMIN, "secadmin": Role.SECURITY_ADMIN, "auditor": Role.AUDIT_ADMIN}
# Who may set whose password: (actor, target role) → allowed.
PASSWORD_MATRIX = {
    ("admin", Role.SYSTEM_ADMIN): False, ("admin", Role.SECURITY_ADMIN): False, ("admin", Role.AUDIT_ADMIN): False,
    ("admin", Role.PROVINCE_ADMIN): True, ("admin", Role.COUNTY_COORDINATOR): True,
    ("secadmin", Role.SYSTEM_ADMIN): True, ("secadmin", Role.SECURITY_ADMIN): False,
    ("secadmin", Role.AUDIT_ADMIN): True, ("secadmin", Role.PROVINCE_ADMIN): False,
    ("secadmin", Role.COUNTY_COORDINATOR): False,
    ("auditor", Role.SYSTEM_ADMIN): False, ("auditor", Role.SECURITY_ADMIN): False,
    ("auditor", Role.AUDIT_ADMIN): False, ("auditor", Role.PROVINCE_ADMIN): False,
    ("auditor", Role.COUNTY_COORDINATOR): False,
    ("province", Role.SYSTEM_ADMIN): False, ("province", Role.SECURITY_ADMIN): False,
    ("province", Role.AUDIT_ADMIN): False, ("province", Role.PROVINCE_ADMIN): False,
    ("province", Role.COUNTY_COORDINATOR): True,
}


@pytest.fixture
def targets(world, secadmin):
    """A second account of every admin-class role (own-class checks), plus ordinary accounts."""
    made = {role: make_user(f"other-{role.value}", role) for role in ADMIN_CLASS.values()}
    made[Role.PROVINCE_ADMIN] = make_user("other-province", Role.PROVINCE_ADMIN)
    made[Role.COUNTY_COORDINATOR] = world.users["tongbai"]
    db.session.commit()   # a refused request rolls the shared session back: keep the accounts
    return made


@pytest.mark.parametrize("actor, target_role", sorted(PASSWORD_MATRIX, key=str))
def test_password_matrix_in_access_and_over_http(client, world, targets, login_as, actor, target_role):
    target = targets[target_role]
    allowed = PASSWORD_MATRIX[(actor, target_role)]
    assert access.can_set_password(world.users[actor], target) is allowed
    login_as(actor)
    url = (f"/admin/security/accounts/{target.id}/password" if target_role in ADMIN_CLASS.values()
           else f"/admin/users/{target.id}/password")
    response = client.post(url, data={"password": NEW_PASSWORD})
    assert response.status_code == (302 if allowed else 403)
    db.session.expire_all()
    assert db.session.get(User, target.id).check_password(NEW_PASSWORD) is allowed


@pytest.mark.parametrize("actor", ["admin", "secadmin", "auditor", "province"])
@pytest.mark.parametrize("target_role", [Role.SYSTEM_ADMIN, Role.SECURITY_ADMIN, Role.AUDIT_ADMIN])
def test_no_one_edits_disables_or_resets_an_admin_class_account_through_account_management(
        client, world, targets, login_as, actor, target_role):
    target = targets[target_role]
    assert access.can_manage_account(world.users[actor], target) is False
    login_as(actor)
    assert client.get(f"/admin/users/{target.id}").status_code == 403
    response = client.post(f"/admin/users/{target.id}", data={"display_name": "x", "role": target_role.value,
                                                             "region_code": "", "unit_id": "0"})
    assert response.status_code == 403
    assert client.post(f"/admin/users/{target.id}/password", data={"password": NEW_PASSWORD}).status_code == 403
    db.session.expire_all()
    assert db.session.get(User, target.id).active is True


@pytest.mark.parametrize("actor", ["admin", "province"])
@pytest.mark.parametrize("role", [Role.SYSTEM_ADMIN, Role.SECURITY_ADMIN, Role.AUDIT_ADMIN])
def test_no_one_creates_admin_class_accounts(client, world, login_as, actor, role):
    login_as(actor)
    response = client.post("/admin/users/new", data={
        "username": "extra", "display_name": "多余的管理员", "organisation": "", "role": role.value,
        "region_code": "", "unit_id": "0", "active": "y", "password": NEW_PASSWORD})
    assert response.status_code == 422
    assert db.session.execute(sa.select(User).where(User.username == "extra")).first() is None


def test_the_system_admin_still_manages_ordinary_accounts(client, world, login_as):
    login_as("admin")
    target = world.users["tongbai"]
    assert client.get(f"/admin/users/{target.id}").status_code == 200
    response = client.post(f"/admin/users/{target.id}", data={
        "display_name": "tongbai", "organisation": "", "role": "county_coordinator", "region_code": "411330",
        "unit_id": "0", "version": target.version})   # active unchecked → disabled
    assert response.status_code == 302
    assert db.session.get(User, target.id).active is False


@pytest.mark.parametrize("actor, allowed", [("auditor", True), ("admin", False), ("province", False),
                                            ("secadmin", False), ("viewer", False)])
def test_only_the_audit_admin_reads_the_audit_log(client, world, secadmin, login_as, actor, allowed):
    login_as(actor)
    assert client.get("/admin/audit").status_code == (200 if allowed else 403)


def test_the_seen_sequence_is_refused(app, client, world, login_as):
    """The system admin resets the auditor's password, signs in as the auditor, disables them."""
    auditor = world.users["auditor"]
    login_as("admin")
    assert client.post(f"/admin/users/{auditor.id}/password", data={"password": NEW_PASSWORD}).status_code == 403
    assert app.test_client().post("/login", data={"username": "auditor", "password": NEW_PASSWORD}) \
        .status_code == 401
    assert client.post(f"/admin/users/{auditor.id}", data={"display_name": "auditor", "role": "audit_admin",
                                                           "region_code": "", "unit_id": "0"}).status_code == 403
    assert client.get("/admin/audit").status_code == 403
    db.session.expire_all()
    assert db.session.get(User, auditor.id).active is True


def test_the_users_list_offers_no_edit_for_admin_class_accounts(client, world, login_as):
    login_as("admin")
    text = client.get("/admin/users?q=auditor").get_data(as_text=True)
    assert "无权管理" in text and f"/admin/users/{world.users['auditor'].id}\"" not in text


def test_the_security_admin_sees_system_and_audit_admins_but_not_its_own_class(client, world, targets, login_as):
    login_as("secadmin")
    text = client.get("/admin/security").get_data(as_text=True)
    assert "other-system_admin" in text and "other-audit_admin" in text and "other-security_admin" not in text
    home = client.get("/")
    assert home.status_code == 200 and "/admin/security" in home.get_data(as_text=True)
    assert client.get("/admin/users").status_code == 403


def test_a_reset_admin_password_must_be_changed_at_sign_in(app, client, world, secadmin, login_as):
    login_as("secadmin")
    assert client.post(f"/admin/security/accounts/{world.users['auditor'].id}/password",
                       data={"password": NEW_PASSWORD}).status_code == 302
    auditor = app.test_client()
    assert auditor.post("/login", data={"username": "auditor", "password": NEW_PASSWORD}).status_code == 302
    assert auditor.get("/admin/audit").headers["Location"].endswith("/account/password")
