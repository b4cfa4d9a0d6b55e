"""Access rules: every route declares one, and each role sees exactly its scope.

The expectations below are written out by hand, as a reader would state the policy, rather than
derived from access.py: a test that re-reads the implementation could not fail.
"""
import pytest
import sqlalchemy as sa

from inspect_app import access
from inspect_app.extensions import db
from inspect_app.org.models import Region, RegionLevel, ResponsibleUnit, Site

ROLES = ["admin", "auditor", "province", "viewer", "nanyang", "leader8", "inspector8", "xinye",
         "xinye-wjw", "tongbai"]


def test_every_route_declares_an_access_rule(app):
    missing = [rule.rule for rule in app.url_map.iter_rules()
               if access.rule_of(app.view_functions[rule.endpoint]) is None]
    assert missing == [], f"routes without an access rule: {missing}"


def test_rule_walk_would_catch_a_forgotten_route(app):
    """The walk above is only worth something if an undeclared view is really reported."""
    def undeclared():
        return "x"
    assert access.rule_of(undeclared) is None
    assert access.rule_of(app.view_functions["org.counties"]) == access.Permission.ORG_VIEW


# Which counties each account may see, by name. 新野/桐柏 are in 南阳市 and assigned to 第八核查组;
# 郸城 is in 周口市 and belongs to nobody's team.
VISIBLE = {
    "admin": {"新野县", "桐柏县", "郸城县"},
    "auditor": {"新野县", "桐柏县", "郸城县"},
    "province": {"新野县", "桐柏县", "郸城县"},
    "viewer": {"新野县", "桐柏县", "郸城县"},
    "nanyang": {"新野县", "桐柏县"},
    "leader8": {"新野县", "桐柏县"},
    "inspector8": {"新野县", "桐柏县"},
    "xinye": {"新野县"},
    "xinye-wjw": {"新野县"},
    "tongbai": {"桐柏县"},
}


@pytest.mark.parametrize("username", ROLES)
def test_visible_counties_per_role(world, username):
    user = world.users[username]
    names = {r.name for r in db.session.execute(access.visible_counties(user)).scalars()}
    assert names == VISIBLE[username]


def test_unit_clause_limits_unit_responders_to_their_unit(world):
    responder = world.users["xinye-wjw"]
    units = db.session.execute(sa.select(ResponsibleUnit.name).where(
        access.unit_clause(responder, ResponsibleUnit.id))).scalars().all()
    assert units == ["新野县卫健委"]
    coordinator = world.users["xinye"]
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ResponsibleUnit)
                             .where(access.unit_clause(coordinator, ResponsibleUnit.id))) > 1


def test_team_scope_follows_team_membership(world):
    from inspect_app.campaigns.models import Team
    team = db.session.execute(sa.select(Team)).scalar_one()
    team.counties = [world.dancheng]
    db.session.commit()
    names = {r.name for r in db.session.execute(access.visible_counties(world.users["inspector8"])).scalars()}
    assert names == {"郸城县"}


# ------------------------------------------------------------ every route × every role
# own = 新野县 (411329), other = 郸城县 (411625). Status expected for (own, other).
# 200 ok / 403 role may not / 404 object outside the scope / 302 redirect after a form.
OK, NO, GONE = 200, 403, 404
SCOPED_READERS = {"nanyang": (OK, GONE), "leader8": (OK, GONE), "inspector8": (OK, GONE),
                  "xinye": (OK, GONE), "xinye-wjw": (OK, GONE), "tongbai": (GONE, GONE)}
WIDE_READERS = {"admin": (OK, OK), "province": (OK, OK), "viewer": (OK, OK)}
READ_COUNTY = {"auditor": (NO, NO), **WIDE_READERS, **SCOPED_READERS}
MANAGE_SITES = {"auditor": (NO, NO), "admin": (NO, NO), "province": (OK, OK), "viewer": (NO, NO),
                "nanyang": (NO, GONE), "leader8": (NO, GONE), "inspector8": (NO, GONE), "xinye": (OK, GONE),
                "xinye-wjw": (NO, GONE), "tongbai": (GONE, GONE)}
MANAGE_COMMUNITIES = {**MANAGE_SITES, "xinye": (NO, GONE)}
ONLY_PROVINCE = {u: (NO, NO) for u in ROLES} | {"province": (OK, OK)}
USER_ADMINS = {u: (NO, NO) for u in ROLES} | {"province": (OK, OK), "admin": (OK, OK)}
# 三权分立 (issue 11): only the audit administrator reads the audit trail.
AUDIT_READERS = {u: (NO, NO) for u in ROLES} | {"auditor": (OK, OK)}
ORG_BROWSERS = {u: (OK, OK) for u in ROLES} | {"auditor": (NO, NO)}


def _site_id(world, county):
    return world.site(county).id


def _unit_id(world, county):
    return db.session.execute(sa.select(ResponsibleUnit.id).where(ResponsibleUnit.county_id == county.id)
                              .order_by(ResponsibleUnit.id)).scalars().first()


ROUTES = [
    ("GET", lambda w, c: "/org/counties", None, ORG_BROWSERS),
    ("GET", lambda w, c: f"/org/counties/{c.code}", None, READ_COUNTY),
    ("GET", lambda w, c: f"/org/counties/{c.code}/units", None, READ_COUNTY),
    ("GET", lambda w, c: f"/org/counties/{c.code}/communities", None, READ_COUNTY),
    ("GET", lambda w, c: f"/org/sites/{_site_id(w, c)}", None, READ_COUNTY),
    ("GET", lambda w, c: f"/org/sites/{_site_id(w, c)}/edit", None, MANAGE_SITES),
    ("POST", lambda w, c: f"/org/sites/{_site_id(w, c)}",
     lambda w, c: {"name": "改名后的点位", "kind_id": str(w.site(c).kind_id), "community_id": "0",
                   "address": "", "active": "y", "version": str(w.site(c).version)}, MANAGE_SITES),
    ("POST", lambda w, c: f"/org/counties/{c.code}/sites",
     lambda w, c: {"name": "新的点位", "kind_id": str(w.site(c).kind_id), "community_id": "0", "address": ""},
     MANAGE_SITES),
    ("GET", lambda w, c: f"/org/units/{_unit_id(w, c)}/edit", None, MANAGE_SITES),
    ("POST", lambda w, c: f"/org/counties/{c.code}/units", lambda w, c: {"name": "县教育局", "category": "government"},
     MANAGE_SITES),
    ("POST", lambda w, c: f"/org/counties/{c.code}/communities",
     lambda w, c: {"name": "第三医共体", "lead_hospital": "某医院"}, MANAGE_COMMUNITIES),
    ("GET", lambda w, c: "/org/site-kinds", None, ORG_BROWSERS),
    ("GET", lambda w, c: "/org/import", None, ONLY_PROVINCE),
    ("GET", lambda w, c: "/org/import/template.xlsx", None, ONLY_PROVINCE),
    ("GET", lambda w, c: "/admin/users", None, USER_ADMINS),
    ("GET", lambda w, c: "/admin/users/new", None, USER_ADMINS),
    ("GET", lambda w, c: f"/admin/users/{w.users['xinye'].id}", None, USER_ADMINS),
    ("GET", lambda w, c: "/admin/users/unit-options?region_code=411329", None, USER_ADMINS),
    ("GET", lambda w, c: "/admin/users/regions?region_search=新野", None, USER_ADMINS),
    ("GET", lambda w, c: "/admin/audit", None, AUDIT_READERS),
    ("GET", lambda w, c: "/", None, {u: (OK, OK) for u in ROLES}),
    ("GET", lambda w, c: "/account/password", None, {u: (OK, OK) for u in ROLES}),
]


@pytest.mark.parametrize("username", ROLES)
@pytest.mark.parametrize("route", range(len(ROUTES)), ids=[f"{m} {i}" for i, (m, *_r) in enumerate(ROUTES)])
def test_route_by_role_and_county(client, world, login_as, username, route):
    method, url_of, data_of, expected = ROUTES[route]
    login_as(username)
    for county, want in zip((world.xinye, world.dancheng), expected[username]):
        url = url_of(world, county)
        data = data_of(world, county) if data_of else None
        response = client.open(url, method=method, data=data, headers={"HX-Request": "true"})
        assert response.status_code == want, f"{username} {method} {url}: {response.status_code} != {want}"


def test_anonymous_is_sent_to_login(client, world):
    response = client.get("/org/counties")
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    response = client.get("/org/counties", headers={"HX-Request": "true"})
    assert response.status_code == 401 and response.headers["HX-Redirect"] == "/login"


def test_another_countys_site_is_not_even_named(client, world, login_as):
    login_as("tongbai")
    site = world.site(world.xinye)
    response = client.get(f"/org/sites/{site.id}")
    assert response.status_code == 404
    assert site.name not in response.get_data(as_text=True)


def test_csrf_is_required_on_state_changes(client, world, login_as):
    login_as("province")
    data = {"name": "无令牌点位", "kind_id": str(world.site(world.xinye).kind_id), "community_id": "0"}
    response = client.post("/org/counties/411329/sites", data=data, csrf=False, headers={"HX-Request": "true"})
    assert response.status_code == 400
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Site).where(Site.name == "无令牌点位")) == 0


def test_counties_query_is_not_tricked_by_search(client, world, login_as):
    """Searching for another county's code returns nothing rather than leaking it."""
    login_as("tongbai")
    text = client.get("/org/counties?q=411329").get_data(as_text=True)
    assert "新野县" not in text
    region = db.session.execute(sa.select(Region).where(Region.level == RegionLevel.COUNTY,
                                                        Region.code == "411330")).scalar_one()
    assert region.name in client.get("/org/counties?q=4113").get_data(as_text=True)


# ------------------------------------------------------------ the inspection and rectification routes
# Same idea for the features built on the foundation: an issued item (with a finding photo) in
# 新野县 assigned to 新野县卫健委 ("own"), and one in 郸城县 ("other").

ITEM_READERS = {"admin": (NO, NO), "auditor": (NO, NO), "province": (OK, OK), "viewer": (OK, OK),
                "nanyang": (OK, GONE), "leader8": (OK, GONE), "inspector8": (OK, GONE), "xinye": (OK, GONE),
                "xinye-wjw": (OK, GONE), "tongbai": (GONE, GONE)}
PHOTO_READERS = ITEM_READERS | {"admin": (GONE, GONE), "auditor": (GONE, GONE)}
DASHBOARD_ROLES = {"province", "viewer", "nanyang", "leader8", "xinye", "tongbai"}
DASHBOARD_COUNTY = {u: (NO, NO) for u in ROLES if u not in DASHBOARD_ROLES} | {
    "province": (OK, OK), "viewer": (OK, OK), "nanyang": (OK, GONE), "leader8": (OK, GONE),
    "xinye": (OK, GONE), "tongbai": (GONE, GONE)}


def only(*allowed):
    return {u: (OK, OK) if u in allowed else (NO, NO) for u in ROLES}


FEATURE_ROUTES = [
    ("/items/", lambda o: "", only(*(set(ROLES) - {"admin", "auditor"}))),
    ("/items/{}", lambda o: o["item"], ITEM_READERS),
    ("/media/{}/thumb", lambda o: o["photo"], PHOTO_READERS),
    ("/visits/", lambda o: "", only("province", "viewer", "nanyang", "leader8", "inspector8")),
    ("/problem-lists", lambda o: "", only("province", "viewer", "nanyang", "leader8", "inspector8", "xinye",
                                          "tongbai")),
    ("/checklists", lambda o: "", only("province", "viewer", "leader8", "inspector8")),
    ("/campaigns", lambda o: "", only("province", "viewer", "leader8", "inspector8")),
    # city viewers and county coordinators are sent on to their own level
    ("/dashboard/", lambda o: "", only(*DASHBOARD_ROLES) | {"nanyang": (302, 302), "xinye": (302, 302),
                                                            "tongbai": (302, 302)}),
    ("/dashboard/county/{}", lambda o: o["code"], DASHBOARD_COUNTY),
    ("/api/v1/closure?county={}", lambda o: o["code"], DASHBOARD_COUNTY),
    # evidence packages (issue 14): county users their county, teams their counties, the province all
    ("/items/{}/evidence.zip", lambda o: o["item"], ITEM_READERS),
    ("/items/evidence/county/{}.zip", lambda o: o["county"], ITEM_READERS),
]


@pytest.fixture
def issued(app, world):
    """An issued item with a finding photo in 新野县 (assigned to 新野县卫健委) and one in 郸城县."""
    import uuid as uuid_module

    from inspect_app.media.models import Attachment, AttachmentKind, PhotoStage
    from inspect_app.media.processing import process_image
    from inspect_app.media.service import photo_attachment, store_photo_files
    from tests.media import images
    from tests.rectification.factories import make_item, wjw

    data = images.camera_jpeg()
    processed = process_image(data)
    store_photo_files(processed, data)
    objects = {}
    for side, county, unit in (("own", world.xinye, wjw(world)), ("other", world.dancheng, None)):
        item = make_item(world, county, unit=unit)
        photo = photo_attachment(processed, client_uuid=str(uuid_module.uuid4()), stage=PhotoStage.BEFORE,
                                 county_id=county.id, uploader=world.users["inspector8"], filename="现场.jpg",
                                 size=1, finding_id=item.finding_id)
        db.session.add(photo)
        db.session.commit()
        assert photo.kind == AttachmentKind.PHOTO and isinstance(photo, Attachment)
        objects[side] = {"item": item.id, "photo": photo.id, "code": county.code, "county": county.id}
    return objects


@pytest.mark.parametrize("username", ROLES)
@pytest.mark.parametrize("route", range(len(FEATURE_ROUTES)), ids=[r[0] for r in FEATURE_ROUTES])
def test_feature_route_by_role_and_county(client, world, issued, login_as, username, route):
    pattern, arg_of, expected = FEATURE_ROUTES[route]
    login_as(username)
    for side, want in zip(("own", "other"), expected[username]):
        url = pattern.format(arg_of(issued[side]))
        response = client.get(url, headers={"HX-Request": "true"})
        assert response.status_code == want, f"{username} GET {url} ({side}): {response.status_code} != {want}"


def test_unit_responder_cannot_open_another_units_item(client, world, login_as):
    from tests.rectification.factories import make_item, other_unit
    item = make_item(world, world.xinye, unit=other_unit(world))
    login_as("xinye-wjw")
    assert client.get(f"/items/{item.id}").status_code == 404
    login_as("xinye")
    assert client.get(f"/items/{item.id}").status_code == 200


def test_scope_names_for_documents(world):
    names = {u: access.scope_name(world.users[u]) for u in ("province", "nanyang", "leader8", "xinye", "xinye-wjw")}
    assert names == {"province": "全省", "nanyang": "南阳市", "leader8": "第八核查组负责县（市、区）",
                     "xinye": "新野县", "xinye-wjw": "新野县"}
