"""Checklist factories: small template dicts, a published default version, workbooks."""
import copy

from inspect_app.checklists import service
from inspect_app.checklists.default_template import DEFAULT_TEMPLATE
from inspect_app.org.service import ensure_site_kinds


def small_template(n_items: int = 3, kinds=("office", "center_ecg")) -> dict:
    """A two-section template dict with `n_items` items per section, all applying to `kinds`
    except the last item of section B, which applies to village clinics only."""
    sections = []
    for code, title in (("A", "责任共同体"), ("B", "管理共同体")):
        items = [{"code": f"{code}{i:02d}", "content": f"{title}核查内容第{i}条", "method": "documents",
                  "site_kinds": list(kinds), "photo_required": False, "weight": 1.0, "veto": False,
                  "guidance": ""} for i in range(1, n_items + 1)]
        sections.append({"code": code, "title": title, "items": items})
    sections[1]["items"][-1]["site_kinds"] = ["village_clinic"]
    return {"name": "测试核查表", "version_label": "2022版", "sections": sections}


def make_version(label="2022版", *, publish=False, n_items=3, name="测试核查表", user=None):
    ensure_site_kinds()
    version = service.create_version_from_dict(name, label, small_template(n_items), user)
    if publish:
        service.publish(version, user, version.version)
    return version


def default_data() -> dict:
    return copy.deepcopy(DEFAULT_TEMPLATE)
