"""Forced-disconnect soak of the offline queue: capture a visit in Chromium (768×1024) while the
network is dropped 100 times at random (seeded) moments, then count what reached the database.

Run:  python bench/offline_soak.py [--seed 9] [--drops 100]

A figure, never pass/fail (exit 0 whatever the counts; 1 only when the soak cannot run at all).
Prints records captured / arrived / lost / duplicated (target: 0 lost, 0 duplicated) and how long
the queue took to drain after the last reconnection. The capture: every checklist item answered
(some answers changed, some with a note), findings with and without photos, photos on items; now
and then the tab is reloaded while offline. Network drops come between actions and while the queue
is sending, so some requests are cut off mid-flight. Bounded: about a minute or two on 2 cores.
"""
from __future__ import annotations

import argparse
import os
import random
import sys
import tempfile
import threading
import time
from datetime import datetime, timezone
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))

import sqlalchemy as sa  # noqa: E402
from werkzeug.serving import make_server  # noqa: E402

from config import TestConfig  # noqa: E402
from inspect_app import create_app  # noqa: E402
from inspect_app.extensions import db  # noqa: E402

N_ITEMS = 40
N_FINDINGS = 10
N_ITEM_PHOTOS = 12
RESULTS = ["conforms", "basically", "nonconforming", "not_applicable"]


def build(tmp: str):
    """A SQLite database with the test world, a 40-item checklist and a started visit."""
    class SoakConfig(TestConfig):
        SQLALCHEMY_DATABASE_URI = "sqlite:///" + os.path.join(tmp, "soak.sqlite")
        UPLOAD_FOLDER = os.path.join(tmp, "uploads")

    from tests.factories import PASSWORD, make_world
    from tests.visits import factories as f

    app = create_app(SoakConfig)
    with app.app_context():
        db.create_all()
        world = make_world()
        version = f.make_version(n_items=N_ITEMS)
        visit = f.make_visit(f.office_site(world.xinye), world.users["inspector8"])
        item_ids = [item.id for item in f.items_of(version)]
        return app, visit.id, item_ids, PASSWORD


def photos(tmp: str, count: int) -> list[str]:
    """Distinct small camera-like JPEGs (< 1 MB, so resize passes them through) with EXIF."""
    from tests.media import images
    paths = []
    for n in range(count):
        exif = images.make_exif(taken=f"2024:05:07 10:{n:02d}:00", offset="+08:00", gps=images.GPS_NORTH_EAST)
        path = Path(tmp) / f"SOAK_{n:03d}.jpg"
        path.write_bytes(images.jpeg(640 + n, 480, exif=exif))
        paths.append(str(path))
    return paths


class Soak:
    """The capture script and its network drops; `expected` is what the server must end up with."""

    def __init__(self, page, base, visit_id, item_ids, photo_paths, rng, drops):
        self.page, self.base, self.visit_id = page, base, visit_id
        self.item_ids, self.photo_paths, self.rng = item_ids, list(photo_paths), rng
        self.drops_left = drops
        self.offline = False
        self.drops = 0
        self.reloads = 0
        self.answers: dict[int, str] = {}
        self.notes: dict[int, str] = {}
        self.findings: list[str] = []
        self.photo_names: list[str] = []

    def network(self, offline: bool):
        if offline and not self.offline:
            self.drops += 1
            self.drops_left -= 1
        self.offline = offline
        self.page.context.set_offline(offline)

    def maybe_toggle(self, actions_left: int):
        """Drop the network at random moments so that `drops` drops spread over the capture."""
        if self.offline:
            if self.rng.random() < 0.5:
                self.network(False)
        elif self.drops_left > 0 and self.rng.random() < min(1.0, self.drops_left / max(actions_left, 1) * 1.2):
            self.network(True)
            if self.rng.random() < 0.05:
                self.page.reload()                      # the kept page, the queue laid over it
                self.page.wait_for_selector("#sync-queue")
                self.reloads += 1

    def answer(self, item_id: int):
        result = self.rng.choice(RESULTS)
        row = self.page.locator(f"#item-{item_id}")
        row.locator(f"label.choice-{result}").click()
        self.answers[item_id] = result

    def note(self, item_id: int):
        text = f"说明{item_id}-{self.rng.randrange(1000)}"
        area = self.page.locator(f"#item-{item_id} textarea")
        area.fill(text)
        area.dispatch_event("input")
        area.dispatch_event("change")
        self.notes[item_id] = text

    def finding(self, n: int, with_photos: int):
        page = self.page
        page.locator("#free-findings >> text=＋ 新增问题").click()
        form = page.locator("#finding-slot-free form[data-finding-form]")
        form.wait_for()
        description = f"浸泡测试问题{n:02d}：远程会诊中心未实际运行"
        form.locator("textarea[name=description]").fill(description)
        form.locator("input[name=category]").fill("服务共同体")
        files = [self.photo_paths.pop() for _ in range(with_photos)]
        if files:
            form.locator("input[data-pending-photos]").set_input_files(files)
        form.locator("button[type=submit]").click()
        form.wait_for(state="detached")
        self.findings.append(description)
        self.photo_names += [Path(p).name for p in files]

    def item_photo(self, item_id: int):
        from playwright.sync_api import expect
        path = self.photo_paths.pop()
        gallery = self.page.locator(f"#gallery-item-{item_id} .gallery-item")
        before = gallery.count()
        self.page.locator(f"#item-{item_id} input[data-photo-input]").set_input_files(path)
        expect(gallery).to_have_count(before + 1)          # queued (or already sent)
        self.photo_names.append(Path(path).name)

    def actions(self):
        """The capture, in a seeded random order."""
        steps = [("answer", i) for i in self.item_ids]
        steps += [("answer", i) for i in self.rng.sample(self.item_ids, 10)]        # changed minds
        steps += [("note", i) for i in self.rng.sample(self.item_ids, 12)]
        steps += [("finding", n) for n in range(N_FINDINGS)]
        steps += [("item_photo", i) for i in self.rng.sample(self.item_ids, N_ITEM_PHOTOS)]
        self.rng.shuffle(steps)
        return steps

    def run(self):
        steps = self.actions()
        for index, (kind, arg) in enumerate(steps):
            self.maybe_toggle(len(steps) - index)
            if kind == "answer":
                self.answer(arg)
            elif kind == "note":
                self.note(arg)
            elif kind == "finding":
                self.finding(arg, with_photos=self.rng.choice([0, 1, 2]))
            else:
                self.item_photo(arg)
        while self.drops_left > 0:                      # drops left over: while the queue drains
            self.network(True)
            self.network(False)
        self.network(False)


def count_on_server(app, visit_id, soak: Soak) -> dict:
    from inspect_app.media.models import Attachment
    from inspect_app.visits.models import Answer, Finding
    with app.app_context():
        answers = db.session.execute(sa.select(Answer).where(Answer.visit_id == visit_id)).scalars().all()
        findings = db.session.execute(sa.select(Finding).where(Finding.visit_id == visit_id)).scalars().all()
        attachments = db.session.execute(sa.select(Attachment)).scalars().all()
        answer_by_item = {}
        duplicated = 0
        for answer in answers:
            if answer.item_id in answer_by_item:
                duplicated += 1
            answer_by_item[answer.item_id] = answer
        arrived = lost = 0
        missing = []
        for item_id, result in soak.answers.items():
            answer = answer_by_item.get(item_id)
            right = answer is not None and answer.result is not None and answer.result.value == result \
                and (item_id not in soak.notes or answer.note == soak.notes[item_id])
            arrived += right
            lost += not right
            if not right:
                got = (answer.result.value if answer and answer.result else None, answer.note if answer else None)
                missing.append(f"answer {item_id} {got} ≠ {(result, soak.notes.get(item_id))}")
        descriptions = [x.description for x in findings]
        for description in soak.findings:
            n = descriptions.count(description)
            arrived += n >= 1
            lost += n == 0
            duplicated += max(0, n - 1)
            if n == 0:
                missing.append(description)
        names = [a.filename for a in attachments]
        for name in soak.photo_names:
            n = names.count(name)
            arrived += n >= 1
            lost += n == 0
            duplicated += max(0, n - 1)
            if n == 0:
                missing.append(name)
        with_exif = sum(1 for a in attachments if a.taken_at is not None and a.gps_lat is not None)
    captured = len(soak.answers) + len(soak.findings) + len(soak.photo_names)
    return {"captured": captured, "arrived": arrived, "lost": lost, "duplicated": duplicated,
            "photos_with_exif": with_exif, "photos": len(attachments), "missing": missing}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=9)
    parser.add_argument("--drops", type=int, default=100)
    args = parser.parse_args()
    from tests.browser.support import CHROMIUM, CHROMIUM_ARGS, _browser_missing
    problem = _browser_missing()
    if problem:
        print(f"offline soak skipped: {problem}")
        return 0
    from playwright.sync_api import expect, sync_playwright

    from tests.browser.support import SW_CONTROLS

    tmp = tempfile.mkdtemp(prefix="offline-soak-")
    app, visit_id, item_ids, password = build(tmp)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_port}"
    rng = random.Random(args.seed)
    started = time.monotonic()
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        context = browser.new_context(viewport={"width": 768, "height": 1024}, locale="zh-CN", has_touch=True,
                                      timezone_id="Asia/Shanghai")
        context.set_default_timeout(30_000)
        page = context.new_page()
        page.goto(f"{base}/login")
        page.fill("input[name=username]", "inspector8")
        page.fill("input[name=password]", password)
        page.click("button[type=submit]")
        page.wait_for_url(f"{base}/")
        page.goto(f"{base}/visits/counties/411329")
        page.evaluate(SW_CONTROLS)
        page.locator("[data-offline-prepare]").click()
        expect(page.locator("[data-offline-prepared]")).to_contain_text("已离线准备")
        page.goto(f"{base}/visits/{visit_id}")
        soak = Soak(page, base, visit_id, item_ids, photos(tmp, N_FINDINGS * 2 + N_ITEM_PHOTOS), rng, args.drops)
        soak.run()
        captured_at = time.monotonic()
        expect(page.locator("#sync-queue")).to_have_attribute("data-count", "0", timeout=300_000)
        drained = time.monotonic() - captured_at
        refused = page.locator("#sync-queue .sync-record.state-refused").count()
        browser.close()
    server.shutdown()
    figures = count_on_server(app, visit_id, soak)
    print(f"offline soak (seed {args.seed}): {soak.drops} network drops, {soak.reloads} reloads while offline, "
          f"{time.monotonic() - started:.0f} s in all")
    print(f"  records captured {figures['captured']} · arrived {figures['arrived']} · lost {figures['lost']} · "
          f"duplicated {figures['duplicated']} · refused {refused}   (target: 0 lost, 0 duplicated)")
    if figures["missing"]:
        print("  not on the server: " + ", ".join(figures["missing"]))
    print(f"  photos stored {figures['photos']}, with EXIF time and GPS {figures['photos_with_exif']}; "
          f"queue drained {drained:.1f} s after the last reconnection")
    return 0


if __name__ == "__main__":
    sys.exit(main())
