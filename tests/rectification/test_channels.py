"""Second channels: e-mail through a real SMTP server (aiosmtpd on 127.0.0.1) and a group-robot webhook
(a real HTTP receiver on 127.0.0.1). A dead channel never blocks or fails the action (both databases)."""
import json
import socket
import threading
from email import message_from_bytes, policy
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import sqlalchemy as sa
from aiosmtpd.controller import Controller

from inspect_app.extensions import db
from inspect_app.rectification.lifecycle import Status
from inspect_app.rectification.models import NoticeDelivery, Notification, RectificationItem
from tests.conftest import HX
from tests.rectification.factories import make_item, row_versions, wjw

BASE = "https://zhenggai.example.cn"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Inbox:
    """aiosmtpd handler: keeps every message received."""

    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append((envelope.rcpt_tos, message_from_bytes(envelope.content, policy=policy.default)))
        return "250 OK"


@pytest.fixture
def smtp_server():
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    yield controller, inbox
    controller.stop()


class Receiver(BaseHTTPRequestHandler):
    status = 200
    answer = b'{"errcode":0,"errmsg":"ok"}'

    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"]))
        self.server.received.append((self.path, self.headers["Content-Type"], body))
        self.send_response(self.server.status)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(self.server.answer)

    def log_message(self, *args):
        pass


@pytest.fixture
def robot():
    server = ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
    server.received, server.status, server.answer = [], 200, Receiver.answer
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def configure(app, monkeypatch, smtp_port=None, webhook=None, timeout=2.0):
    if smtp_port:
        for key, value in {"NOTIFY_SMTP_HOST": "127.0.0.1", "NOTIFY_SMTP_PORT": smtp_port, "NOTIFY_SMTP_TLS": "none",
                           "NOTIFY_MAIL_FROM": "noreply@zhenggai.example.cn"}.items():
            monkeypatch.setitem(app.config, key, value)
    if webhook:
        monkeypatch.setitem(app.config, "NOTIFY_WEBHOOK_URL", webhook)
    monkeypatch.setitem(app.config, "NOTIFY_BASE_URL", BASE)
    monkeypatch.setitem(app.config, "NOTIFY_CHANNEL_TIMEOUT", timeout)


def with_emails(world):
    world.users["xinye-wjw"].email = "wjw@xinye.example.cn"
    world.users["xinye"].email = "ygb@xinye.example.cn"
    db.session.commit()


def return_item(client, login_as, item, reason="佐证材料不全"):
    login_as("leader8")
    return client.post(f"/items/{item.id}/actions/return", headers=HX,
                       data={"version": str(item.version), "reason": reason})


def status_of(item_id):
    db.session.expire_all()
    return db.session.get(RectificationItem, item_id).status


def deliveries():
    return db.session.execute(sa.select(NoticeDelivery).order_by(NoticeDelivery.id)).scalars().all()


def expected_text(item):
    return f"整改事项 {item.number}（{item.description[:30]}） 被退回，请补充整改"


# ---------------------------------------------------------------- delivered

def test_email_delivers_the_exact_message_to_each_recipient(app, client, world, login_as, monkeypatch, smtp_server):
    controller, inbox = smtp_server
    configure(app, monkeypatch, smtp_port=controller.port)
    with_emails(world)
    item = make_item(world, status=Status.SUBMITTED, unit=wjw(world))
    assert return_item(client, login_as, item).status_code == 200
    assert sorted(to for to, _ in inbox.messages) == [["wjw@xinye.example.cn"], ["ygb@xinye.example.cn"]]
    _to, mail = inbox.messages[0]
    assert mail["Subject"] == "【医共体核查整改】退回"
    assert mail["From"] == "医共体核查整改 <noreply@zhenggai.example.cn>"
    assert mail.get_content() == (f"{expected_text(item)}\n{BASE}/items/{item.id}\n\n"
                                  "——\n医共体核查整改平台自动发送，请勿直接回复。\n")
    assert [(d.channel, d.ok) for d in deliveries()] == [("email", True), ("email", True)]
    assert {d.target for d in deliveries()} == {"wjw@xinye.example.cn", "ygb@xinye.example.cn"}


def test_users_without_an_address_get_no_email(app, client, world, login_as, monkeypatch, smtp_server):
    controller, inbox = smtp_server
    configure(app, monkeypatch, smtp_port=controller.port)
    item = make_item(world, status=Status.SUBMITTED, unit=wjw(world))
    assert return_item(client, login_as, item).status_code == 200
    assert inbox.messages == [] and deliveries() == []
    assert db.session.execute(sa.select(sa.func.count(Notification.id))).scalar_one() == 2   # in-app all the same


def test_webhook_posts_the_exact_robot_message(app, client, world, login_as, monkeypatch, robot):
    configure(app, monkeypatch, webhook=f"http://127.0.0.1:{robot.server_port}/cgi-bin/webhook/send?key=abc")
    item = make_item(world, status=Status.SUBMITTED, unit=wjw(world))
    assert return_item(client, login_as, item).status_code == 200
    assert len(robot.received) == 1   # one post per action, not one per recipient
    path, content_type, body = robot.received[0]
    assert path == "/cgi-bin/webhook/send?key=abc" and content_type == "application/json; charset=utf-8"
    assert json.loads(body) == {"msgtype": "text", "text": {
        "content": f"【医共体核查整改】\n{expected_text(item)} {BASE}/items/{item.id}"}}
    assert [(d.channel, d.target, d.ok) for d in deliveries()] == [("webhook", f"127.0.0.1:{robot.server_port}", True)]


def test_a_bulk_action_is_one_robot_post(app, client, world, login_as, monkeypatch, robot):
    configure(app, monkeypatch, webhook=f"http://127.0.0.1:{robot.server_port}/hook")
    a, b = (make_item(world, status=Status.SUBMITTED, unit=wjw(world)) for _ in range(2))
    login_as("leader8")
    assert client.post("/items/review/return", headers=HX, data={"reason": "不全", "item_ids": [a.id, b.id], **row_versions(a, b)}).status_code == 200
    assert len(robot.received) == 1
    content = json.loads(robot.received[0][2])["text"]["content"]
    assert content == f"【医共体核查整改】\n{expected_text(a)} {BASE}/items/{a.id}\n{expected_text(b)} {BASE}/items/{b.id}"


def test_nothing_is_sent_for_a_refused_action(app, client, world, login_as, monkeypatch, smtp_server, robot):
    controller, inbox = smtp_server
    configure(app, monkeypatch, smtp_port=controller.port, webhook=f"http://127.0.0.1:{robot.server_port}/hook")
    with_emails(world)
    item = make_item(world, status=Status.SUBMITTED, unit=wjw(world))
    assert return_item(client, login_as, item, reason="").status_code == 422
    client.get("/items/review")   # a later request dispatches whatever is ready: nothing
    assert inbox.messages == [] and robot.received == [] and deliveries() == []


# ---------------------------------------------------------------- dead channels

def test_refused_smtp_and_webhook_never_block_the_action(app, client, world, login_as, monkeypatch):
    dead = free_port()   # nothing listens there: connection refused
    configure(app, monkeypatch, smtp_port=dead, webhook=f"http://127.0.0.1:{free_port()}/hook")
    with_emails(world)
    item = make_item(world, status=Status.SUBMITTED, unit=wjw(world))
    assert return_item(client, login_as, item).status_code == 200
    assert status_of(item.id) is Status.IN_PROGRESS
    assert db.session.execute(sa.select(sa.func.count(Notification.id))).scalar_one() == 2
    failed = deliveries()
    assert {(d.channel, d.ok) for d in failed} == {("email", False), ("webhook", False)}
    assert all("Connection refused" in d.error or "ConnectionRefused" in d.error for d in failed)


def test_a_silent_smtp_server_times_out_without_failing_the_action(app, client, world, login_as, monkeypatch):
    with socket.socket() as silent:   # accepts the connection (backlog) and never says hello
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)
        configure(app, monkeypatch, smtp_port=silent.getsockname()[1], timeout=0.5)
        with_emails(world)
        item = make_item(world, status=Status.SUBMITTED, unit=wjw(world))
        assert return_item(client, login_as, item).status_code == 200
    assert status_of(item.id) is Status.IN_PROGRESS
    failed = deliveries()
    assert len(failed) == 2 and not any(d.ok for d in failed)   # tried once, both recipients recorded
    assert all("timed out" in d.error for d in failed)


@pytest.mark.parametrize("status, answer, error", [
    (500, b"internal error", "HTTP Error 500"),
    (200, b'{"errcode":93000,"errmsg":"invalid webhook url"}', "errcode 93000"),
])
def test_a_webhook_that_answers_an_error_is_recorded(app, client, world, login_as, monkeypatch, robot, status, answer, error):
    robot.status, robot.answer = status, answer
    configure(app, monkeypatch, webhook=f"http://127.0.0.1:{robot.server_port}/hook")
    item = make_item(world, status=Status.SUBMITTED, unit=wjw(world))
    assert return_item(client, login_as, item).status_code == 200
    assert status_of(item.id) is Status.IN_PROGRESS
    (delivery,) = deliveries()
    assert not delivery.ok and error in delivery.error


def test_the_reminder_job_mails_after_its_commit(app, runner, world, monkeypatch, smtp_server):
    import datetime as dt
    controller, inbox = smtp_server
    configure(app, monkeypatch, smtp_port=controller.port)
    with_emails(world)
    make_item(world, status=Status.IN_PROGRESS, unit=wjw(world), deadline=dt.date(2000, 1, 1))
    assert runner.invoke(args=["send-reminders"]).exit_code == 0
    assert sorted(to for to, _ in inbox.messages) == [["wjw@xinye.example.cn"], ["ygb@xinye.example.cn"]]
    assert inbox.messages[0][1]["Subject"] == "【医共体核查整改】已超期"


# ---------------------------------------------------------------- the user's address

def test_the_user_sets_their_address_when_email_is_on(app, client, world, login_as, monkeypatch):
    login_as("xinye")
    assert 'id="notice-email-form"' not in client.get("/items/notifications").get_data(as_text=True)
    configure(app, monkeypatch, smtp_port=25)
    assert 'id="notice-email-form"' in client.get("/items/notifications").get_data(as_text=True)
    bad = client.post("/items/notifications/email", headers=HX, data={"email": "xinye at example"})
    assert bad.status_code == 422
    assert "邮箱地址格式不正确" in bad.get_data(as_text=True) and 'value="xinye at example"' in bad.get_data(as_text=True)
    assert client.post("/items/notifications/email", headers=HX, data={"email": " ygb@xinye.example.cn "}).status_code == 200
    db.session.expire_all()
    assert world.users["xinye"].email == "ygb@xinye.example.cn"
    assert client.post("/items/notifications/email", headers=HX, data={"email": ""}).status_code == 200
    db.session.expire_all()
    assert world.users["xinye"].email is None


def test_notices_of_a_rolled_back_transaction_are_never_sent(app, world, monkeypatch, robot):
    from inspect_app.rectification import channels, notifications
    configure(app, monkeypatch, webhook=f"http://127.0.0.1:{robot.server_port}/hook")
    item = make_item(world, status=Status.SUBMITTED, unit=wjw(world))
    notifications.notify([world.users["xinye"].id], item, "returned", "撤销的通知")
    db.session.rollback()
    notifications.notify([world.users["xinye"].id], item, "returned", "保存的通知")
    assert channels.dispatch() == 0 and robot.received == []   # not committed yet: nothing is ready
    db.session.commit()
    channels.dispatch()
    assert [json.loads(body)["text"]["content"] for _p, _t, body in robot.received] == ["【医共体核查整改】\n保存的通知 " + f"{BASE}/items/{item.id}"]
