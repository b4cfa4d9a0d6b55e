"""The user roles of the app as one small pure enum (no Flask, no database), shared by every module."""

from __future__ import annotations

from enum import Enum


class Role(str, Enum):
    """A user's role; the value is a stable English code, `.label` the Chinese name shown on screen."""

    SYSTEM_ADMIN = "system_admin"
    SECURITY_ADMIN = "security_admin"
    AUDIT_ADMIN = "audit_admin"
    PROVINCE_ADMIN = "province_admin"
    PROVINCE_VIEWER = "province_viewer"
    CITY_VIEWER = "city_viewer"
    TEAM_LEADER = "team_leader"
    INSPECTOR = "inspector"
    COUNTY_COORDINATOR = "county_coordinator"
    UNIT_RESPONDER = "unit_responder"

    @property
    def label(self) -> str:
        """The Chinese name of the role, e.g. 核查组组长."""
        return ROLE_LABELS[self]


ROLE_LABELS: dict[Role, str] = {
    Role.SYSTEM_ADMIN: "系统管理员",
    Role.SECURITY_ADMIN: "安全管理员",
    Role.AUDIT_ADMIN: "审计管理员",
    Role.PROVINCE_ADMIN: "省级管理员",
    Role.PROVINCE_VIEWER: "省级查看",
    Role.CITY_VIEWER: "市级查看",
    Role.TEAM_LEADER: "核查组组长",
    Role.INSPECTOR: "核查员",
    Role.COUNTY_COORDINATOR: "县级联络员",
    Role.UNIT_RESPONDER: "责任单位经办人",
}
