"""Issue 12, several instances: two gunicorn instances behind Debian's nginx (round robin), sharing
the database and the S3 bucket, pass the inspector's journey in Chromium — sign in, start a visit,
answer, record a finding with a real camera JPEG, view the photo — with requests alternating between
them; the photo uploaded through one instance is served by the other, and the session made on one is
honoured by the other."""
import re
from pathlib import Path

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from inspect_app.extensions import db
from inspect_app.media.models import Attachment
from tests.browser.support import sign_in
from tests.s3server import s3_client
from tests.visits import factories as f

pytestmark = pytest.mark.browser
REAL_JPEG = Path(__file__).resolve().parents[1] / "data" / "xmp_test.jpg"   # Canon camera JPEG (Pillow's tests)


def test_journey_through_nginx_alternates_between_instances(cluster, landscape, world, password, s3_app):
    version = f.make_version(n_items=4)
    items = f.items_of(version)
    page = landscape
    answered_by = []
    page.on("response", lambda r: r.url.startswith(cluster.url) and answered_by.append(r.headers.get("x-instance")))

    sign_in(page, cluster.url, "inspector8", password)
    page.click("nav.nav >> text=我的核查")
    page.click("a.county-card:has-text('新野县')")
    page.locator("li.site-row", has_text="医共体管理办公室").locator("text=开始核查").click()
    expect(page).to_have_url(re.compile(r"/visits/\d+$"))

    first = page.locator(f"#item-{items[0].id}")
    first.locator("label.choice-conforms").click()
    expect(first.locator(".answer-status")).to_contain_text("已保存")
    second = page.locator(f"#item-{items[1].id}")
    second.locator("label.choice-nonconforming").click()
    expect(second.locator(".answer-status")).to_contain_text("已保存")

    second.locator("text=记录为问题").click()
    form = second.locator("form[data-finding-form]")
    form.locator("textarea[name=description]").fill("未见资产划转文件（多实例）")
    form.locator("select[name=rectification_type]").select_option("immediate")
    form.locator("select[name=severity]").select_option("serious")
    form.locator("input[data-pending-photos]").set_input_files(str(REAL_JPEG))
    with page.expect_response(lambda r: "/photos" in r.url and r.request.method == "POST", timeout=30_000) as posted:
        form.locator("button[type=submit]").click()
    upload = posted.value
    assert upload.status == 200, upload.text()
    uploader = upload.headers["x-instance"]
    card = second.locator("article.finding")
    expect(card.locator(".gallery-item:not(.is-queued)")).to_have_count(1, timeout=30_000)
    card.locator(".gallery-thumb").click()
    expect(page.locator("#photo-viewer")).to_be_visible()
    expect(page.locator("#photo-viewer img").first).to_have_js_property("complete", True)

    # Every answer came from one of the two instances, and both served a fair share of the journey.
    assert set(answered_by) == {"a", "b"}, answered_by
    assert min(answered_by.count("a"), answered_by.count("b")) >= len(answered_by) // 4, answered_by
    # Their own access logs agree: each instance served requests.
    assert len(cluster.access_log("a")) > 5 and len(cluster.access_log("b")) > 5

    db.session.expire_all()
    photo = db.session.execute(sa.select(Attachment)).scalar_one()
    stored = s3_client(s3_app.config["S3_ENDPOINT_URL"]).list_objects_v2(Bucket=s3_app.config["S3_BUCKET"])
    assert {o["Key"] for o in stored["Contents"]} == {photo.display_key, photo.thumb_key, photo.original_key}
    assert [p for name in ("a", "b") for p in (cluster.tmp / f"{name}-uploads").rglob("*") if p.is_file()] == []

    # The photo uploaded through one instance is served by the other, to the session made on either.
    other = "b" if uploader == "a" else "a"
    served = page.context.request.get(f"{cluster.instances[other]}/media/{photo.id}/display")
    assert served.status == 200 and served.headers["x-instance"] == other
    assert served.body()[:3] == b"\xff\xd8\xff" and served.headers["content-type"] == "image/jpeg"
    home = page.context.request.get(f"{cluster.instances[other]}/", max_redirects=0)
    assert home.status == 200 and home.headers["x-instance"] == other   # signed in there too
    # Through nginx, requests in a row land on both instances.
    both = {page.context.request.get(f"{cluster.url}/media/{photo.id}/thumb").headers["x-instance"]
            for _ in range(6)}
    assert both == {"a", "b"}
    assert [e for e in page.errors if "favicon" not in e] == []
