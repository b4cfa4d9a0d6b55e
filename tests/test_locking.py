"""The shared optimistic-locking module (inspect_app/locking.py): the compare-and-set itself, the hidden
version field and what the conflict view is built from."""
import pytest
import sqlalchemy as sa

from inspect_app import locking
from inspect_app.extensions import db
from inspect_app.org.models import Site
from inspect_app.users.forms import UserForm


def test_claim_moves_the_version_and_refuses_a_row_saved_since_it_was_loaded(world):
    site = world.site(world.xinye)
    locking.claim(site, 1)
    assert site.version == 2
    db.session.commit()
    loaded = db.session.get(Site, site.id)                 # version 2 in this session …
    with db.engine.begin() as other:                       # … while another transaction saves
        other.execute(sa.update(Site.__table__).where(Site.__table__.c.id == site.id)
                      .values(version=3, address="别人保存的地址"))
    with pytest.raises(locking.EditConflict) as refused:
        locking.claim(loaded, 2)                           # the object still says 2: only the SQL can tell
    assert (refused.value.status, refused.value.message) == (409, locking.STALE_MESSAGE)
    db.session.rollback()
    assert db.session.get(Site, site.id).version == 3


@pytest.mark.parametrize("seen,status", [(None, 422), (0, 409), (2, 409)])
def test_claim_refuses_a_missing_or_other_version_without_writing(world, seen, status):
    site = world.site(world.xinye)
    with pytest.raises(locking.EditConflict) as refused:
        locking.claim(site, seen)
    assert refused.value.status == status
    db.session.rollback()
    assert db.session.get(Site, site.id).version == 1


def test_bump_counts_a_change_made_without_a_form(world):
    site = world.site(world.xinye)
    locking.bump(site)
    db.session.commit()
    assert db.session.get(Site, site.id).version == 2


@pytest.mark.parametrize("raw,data", [("3", 3), ("", None), ("abc", None), ("1.5", None)])
def test_version_field_reads_anything_but_a_whole_number_as_missing(app, raw, data):
    with app.test_request_context(method="POST", data={"version": raw, "display_name": "x", "role": "inspector"}):
        form = UserForm()
        form.validate()
        assert form.version.data == data and form.version.errors == []


def test_rebase_marks_only_the_fields_whose_saved_value_differs(app, world):
    user = world.users["tongbai"]
    with app.test_request_context(method="POST", data={"display_name": "新名字", "organisation": "",
                                                       "role": "county_coordinator", "active": "y", "version": "1"}):
        form = UserForm()
        form.username.data = user.username                  # as the edit view does: not editable
        form.role.choices = [("county_coordinator", "县级联络员")]
        saved = UserForm(formdata=None, obj=user)
        saved.role.choices = form.role.choices
        saved.role.data = "county_coordinator"
        user.version = 4
        conflict = locking.rebase(form, saved, user, locking.EditConflict(locking.STALE_MESSAGE, 409))
    assert [name for name, *_ in conflict.fields] == ["display_name"]
    assert form.display_name.saved_text == "tongbai" and form.display_name.data == "新名字"
    assert not hasattr(form.role, "saved_text") and form.version.data == 4
    db.session.rollback()
