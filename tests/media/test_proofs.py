"""Photos that prove themselves (issue 15): the perceptual hash on real camera photos, and each photo
check of media.proofs on and off."""
import io
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from PIL import Image

from inspect_app.media import processing, proofs
from inspect_app.media.proofs import NEAR_DISTANCE, PhotoFacts, hamming
from tests.media import images

DATA = Path(__file__).resolve().parents[1] / "data"


def camera_photo(name: str, frame: int = 0) -> Image.Image:
    """A real camera photo from tests/data (one frame of a 3DS stereo MPO), upright RGB."""
    image = Image.open(DATA / name)
    image.seek(frame)
    return image.convert("RGB")


def encoded(image: Image.Image, quality: int = 95) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=quality)
    return buffer.getvalue()


def resized_recompressed(image: Image.Image) -> bytes:
    """What a messenger app does: a third of the size, JPEG quality 55."""
    return encoded(image.resize((image.width // 3, image.height // 3), Image.Resampling.LANCZOS), 55)


def cropped(image: Image.Image, fraction: float = 0.03) -> bytes:
    """Cropped by `fraction` on every side, halved, recompressed at quality 70."""
    dx, dy = int(image.width * fraction), int(image.height * fraction)
    part = image.crop((dx, dy, image.width - dx, image.height - dy))
    return encoded(part.resize((image.width // 2, image.height // 2), Image.Resampling.LANCZOS), 70)


ORIGINALS = {
    "xmp_test.jpg (Canon EOS, Adobe RGB)": lambda: (DATA / "xmp_test.jpg").read_bytes(),
    "xiaomi.heic (phone)": lambda: (DATA / "xiaomi.heic").read_bytes(),
    "frozenpond.mpo (3DS)": lambda: (DATA / "frozenpond.mpo").read_bytes(),
    "sugarshack.mpo (3DS)": lambda: (DATA / "sugarshack.mpo").read_bytes(),
}


def upright(data: bytes) -> Image.Image:
    """The photo as the server sees it, decoded (first frame of an MPO)."""
    return Image.open(io.BytesIO(data)).convert("RGB")


@pytest.mark.parametrize("name", ORIGINALS)
def test_phash_catches_a_resized_recompressed_and_a_cropped_copy(name):
    data = ORIGINALS[name]()
    original = processing.process_image(data)
    assert len(original.phash) == 16 and int(original.phash, 16) >= 0
    assert len(original.dhash) == 16
    for copy in (resized_recompressed(upright(data)), cropped(upright(data))):
        hashed = processing.process_image(copy)
        assert hashed.sha256 != original.sha256                    # other bytes: SHA-256 alone would miss it
        assert hamming(hashed.phash, original.phash) <= NEAR_DISTANCE


@pytest.mark.parametrize("name", ["frozenpond.mpo", "sugarshack.mpo"])
def test_phash_tells_two_photos_of_the_same_scene_apart(name):
    """The two frames of a 3DS stereo photo: the same scene at the same moment, through two lenses."""
    left = processing.process_image(encoded(camera_photo(name, 0)))
    right = processing.process_image(encoded(camera_photo(name, 1)))
    assert hamming(left.phash, right.phash) > NEAR_DISTANCE


def test_different_real_photos_lie_far_apart():
    hashes = [processing.process_image(ORIGINALS[name]()).phash for name in ORIGINALS]
    for i, a in enumerate(hashes):
        for b in hashes[i + 1:]:
            assert hamming(a, b) > 2 * NEAR_DISTANCE - 4


def test_hash_of_a_rotated_upload_is_the_hash_of_the_upright_photo():
    """EXIF orientation is applied before hashing: the same scene sent rotated hashes alike."""
    scene = camera_photo("sugarshack.mpo")
    upright_photo = processing.process_image(encoded(scene))
    rotated = scene.transpose(Image.Transpose.ROTATE_90)    # stored sideways, EXIF says turn it back
    buffer = io.BytesIO()
    rotated.save(buffer, "JPEG", quality=95, exif=images.make_exif(orientation=6))
    assert hamming(processing.process_image(buffer.getvalue()).phash, upright_photo.phash) <= 4


def test_hamming():
    assert hamming("0000000000000000", "0000000000000000") == 0
    assert hamming("ffffffffffffffff", "0000000000000000") == 64
    assert hamming("8000000000000001", "0000000000000000") == 2


# ---------------------------------------------------------------- the flags, on and off

T0 = datetime(2024, 5, 7, 1, 0, tzinfo=timezone.utc)
BEFORE = PhotoFacts(id=1, sha256="a" * 64, phash="8ccd5a3c6b8a9594", uploaded_at=T0)


def after(id=10, sha="b" * 64, phash="0f0f0f0f0f0f0f0f", **kw) -> PhotoFacts:
    kw.setdefault("uploaded_at", T0 + timedelta(days=10))
    kw.setdefault("county_id", 7)
    kw.setdefault("item_id", 100)
    return PhotoFacts(id=id, sha256=sha, phash=phash, **kw)


def flip(phash: str, bits: int) -> str:
    """`phash` with its lowest `bits` bits inverted."""
    return format(int(phash, 16) ^ ((1 << bits) - 1), "016x")


def test_same_as_before_by_bytes_and_by_near_hash():
    same_bytes = after(sha=BEFORE.sha256)
    near = after(id=11, phash=flip(BEFORE.phash, NEAR_DISTANCE))
    far = after(id=12, phash=flip(BEFORE.phash, NEAR_DISTANCE + 1))
    flags = proofs.same_as_before([same_bytes, near, far], [BEFORE])
    assert [(f.code, f.photo_id) for f in flags] == [("same_as_before", 10), ("same_as_before", 11)]
    assert "文件完全相同" in flags[0].message and f"相差 {NEAR_DISTANCE}/64 位" in flags[1].message
    assert proofs.same_as_before([far], [BEFORE]) == []
    assert proofs.same_as_before([after(phash=None)], [BEFORE]) == []     # no hash, other bytes: nothing to say


def test_reused_for_another_item_or_in_another_county_earlier():
    photo = after(phash=BEFORE.phash)
    other_item = PhotoFacts(id=20, sha256="c" * 64, phash=flip(BEFORE.phash, 3), county_id=7, item_id=200,
                            uploaded_at=T0, label="新野县事项 411329-2022-002 的整改佐证")
    flags = proofs.reused([photo], [other_item])
    assert [(f.code, f.photo_id) for f in flags] == [("reused", 10)]
    assert "411329-2022-002" in flags[0].message
    other_county = PhotoFacts(id=21, sha256=photo.sha256, county_id=8, uploaded_at=T0)
    assert [f.code for f in proofs.reused([photo], [other_county])] == ["reused"]


def test_not_reused_when_later_same_item_same_county_inspection_photo_or_different():
    photo = after(phash=BEFORE.phash)
    later = PhotoFacts(id=20, sha256=photo.sha256, county_id=7, item_id=200, uploaded_at=T0 + timedelta(days=20))
    same_item = PhotoFacts(id=5, sha256=photo.sha256, county_id=7, item_id=100, uploaded_at=T0)
    county_photo = PhotoFacts(id=6, sha256=photo.sha256, county_id=7, item_id=None, uploaded_at=T0)
    different = PhotoFacts(id=7, sha256="d" * 64, phash=flip(BEFORE.phash, 20), county_id=8, uploaded_at=T0)
    assert proofs.reused([photo], [photo, later, same_item, county_photo, different]) == []


def test_haversine_against_known_distances():
    assert proofs.haversine_km(32.0, 112.0, 33.0, 112.0) == pytest.approx(111.195, abs=0.001)   # 1° of latitude
    # Beijing Tiananmen to Shanghai People's Square: about 1,067 km.
    assert proofs.haversine_km(39.9087, 116.3975, 31.2304, 121.4737) == pytest.approx(1067, rel=0.01)
    assert proofs.haversine_km(32.1, 112.3, 32.1, 112.3) == 0


def test_far_from_site_on_off_and_threshold():
    site = (32.5, 112.4)
    near = after(id=10, gps_lat=32.5 + 0.008, gps_lon=112.4)      # 0.89 km north
    far = after(id=11, gps_lat=32.5 + 0.01, gps_lon=112.4)        # 1.11 km north
    nowhere = after(id=12)
    flags = proofs.far_from_site([near, far, nowhere], site, max_km=1.0)
    assert [(f.code, f.photo_id) for f in flags] == [("far_from_site", 11)]
    assert "1.1 公里" in flags[0].message
    assert proofs.far_from_site([near, far], site, max_km=2.0) == []
    assert proofs.far_from_site([far], None) == []                 # site without a position


def test_taken_before_finding_on_and_off():
    recorded = datetime(2024, 5, 7, 2, 0, tzinfo=timezone.utc)
    early = after(id=10, taken_at=recorded - timedelta(minutes=1))
    later = after(id=11, taken_at=recorded + timedelta(days=3))
    unknown = after(id=12)
    assert [(f.code, f.photo_id) for f in proofs.taken_before_finding([early, later, unknown], recorded)] == [
        ("taken_before_finding", 10)]
    assert proofs.taken_before_finding([early], None) == []


def test_median_position_ignores_one_stray_photo_and_photos_without_gps():
    photos = [after(id=i, gps_lat=32.5 + d, gps_lon=112.4 + d) for i, d in enumerate((0.0001, 0.0002, 0.0003))]
    photos += [after(id=9, gps_lat=40.0, gps_lon=120.0), after(id=8)]
    assert proofs.median_position(photos) == pytest.approx((32.50025, 112.40025))
    assert proofs.median_position([after()]) is None


def test_ledger_text_counts_photos_per_kind():
    flags = [proofs.ProofFlag("far_from_site", 1, ""), proofs.ProofFlag("same_as_before", 1, ""),
             proofs.ProofFlag("far_from_site", 2, "")]
    assert proofs.ledger_text(flags) == "前后照片相同1张\n远离点位2张"
    assert proofs.ledger_text([]) == ""


def test_flask_media_hashes_fills_in_old_photos_and_places_sites(app, world, runner):
    """Photos stored before the hashes were kept get them from their stored thumbnail; a site
    without a position takes its first submitted visit's photos' median."""
    import uuid as uuid_module

    from inspect_app.extensions import db
    from inspect_app.media import service as media_service
    from inspect_app.media.models import PhotoStage
    from inspect_app.org.models import Site, SitePositionSource
    from inspect_app.visits.models import Finding, RectificationType, Severity, VisitStatus
    from tests.visits import factories as vf

    vf.make_version(n_items=2)
    visit = vf.make_visit(vf.office_site(world.xinye), world.users["inspector8"], status=VisitStatus.SUBMITTED)
    finding = Finding(uuid=str(uuid_module.uuid4()), campaign_id=visit.campaign_id, county_id=visit.county_id,
                      site_id=visit.site_id, visit_id=visit.id, category="服务共同体", description="旧照片",
                      severity=Severity.GENERAL, rectification_type=RectificationType.DEADLINE,
                      created_by_id=world.users["inspector8"].id)
    db.session.add(finding)
    db.session.commit()
    buffer = io.BytesIO()
    camera_photo("sugarshack.mpo").save(buffer, "JPEG", quality=90, exif=images.make_exif(gps=images.GPS_NORTH_EAST))
    photo, _ = media_service.ingest_photo(buffer.getvalue(), finding, world.users["inspector8"],
                                          str(uuid_module.uuid4()), PhotoStage.BEFORE)
    expected = photo.phash
    photo.phash = photo.dhash = None                      # as stored before issue 15
    missing = media_service.photo_attachment(processing.process_image(encoded(camera_photo("frozenpond.mpo"))),
                                             client_uuid=str(uuid_module.uuid4()), stage=PhotoStage.BEFORE,
                                             county_id=world.xinye.id, uploader=world.users["inspector8"],
                                             filename="", size=1, finding_id=finding.id)
    missing.phash = None                                  # its files were never written
    db.session.add(missing)
    db.session.commit()

    result = runner.invoke(args=["media", "hashes"])
    assert result.exit_code == 0, result.output
    assert "已计算 1 张照片的图像指纹；1 张照片文件无法读取" in result.output
    db.session.expire_all()
    assert hamming(db.session.get(type(photo), photo.id).phash, expected) <= 2   # from the stored 320 px JPEG
    site = db.session.get(Site, visit.site_id)
    assert (site.latitude, site.longitude) == pytest.approx((images.LAT_NORTH_EAST, images.LON_NORTH_EAST), abs=1e-5)
    assert site.position_source is SitePositionSource.FIRST_VISIT
    assert "1 个核查点位" in result.output
