"""Photo details for reviewers (issue 14, seen 9): the item timeline lists a progress post's photos
with time taken and position, and every photo on the item page opens the viewer captioned with them."""
import io
import re

from inspect_app.rectification.lifecycle import Status
from tests.conftest import HX
from tests.media import images
from tests.rectification.factories import make_item, wjw
from tests.rectification.test_photo_evidence import issue_photo, section


def test_timeline_and_viewer_say_when_and_where(client, world, login_as):
    item = make_item(world, status=Status.IN_PROGRESS, unit=wjw(world))
    login_as("xinye-wjw")
    response = client.post(f"/items/{item.id}/actions/post_progress", headers=HX, content_type="multipart/form-data",
                           data={"version": "1", "text": "已整改", "files": [
                               (io.BytesIO(issue_photo()), "现场.jpg"), (io.BytesIO(images.noisy_jpeg()), "无信息.jpg")]})
    assert response.status_code == 200
    login_as("leader8")
    html = client.get(f"/items/{item.id}").get_data(as_text=True)

    timeline = section(html, "timeline")
    entry = timeline.split("报送整改进展", 1)[1]
    assert "照片 1" in entry and "拍摄时间 2024-05-07 09:33" in entry and "位置 30.62765°N 119.73877°E" in entry
    assert "照片 2" in entry and "无拍摄时间" in entry and "无位置信息" in entry

    # The viewer (templates/media/_viewer.html) is on the page and each photo link feeds it the caption.
    assert 'id="photo-viewer"' in html and "js/photos.js" in html
    compare = html.split('id="before-after"')[1].split("</section>")[0]
    metas = re.findall(r'data-viewer-meta="([^"]*)"', compare)
    assert "拍摄时间 2024-05-07 09:33 · 位置 30.62765°N 119.73877°E" in metas
    assert "无拍摄时间 · 无位置信息" in metas
    assert compare.count("data-gallery") == 2
