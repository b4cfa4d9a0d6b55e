"""The `jobs` table: one row per background job, which outlives the queue's own message."""
import enum
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from inspect_app.extensions import UTCDateTime, db, utcnow


class JobState(str, enum.Enum):
    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"

    @property
    def label(self) -> str:
        return {"queued": "排队中", "running": "进行中", "done": "已完成", "failed": "失败"}[self.value]

    @property
    def finished(self) -> bool:
        return self in (JobState.DONE, JobState.FAILED)


class Job(db.Model):
    """A job of `kind` (a key of service.KINDS) for `owner`, over `params` (e.g. the ledger's filters).

    `region_id` is the owner's scope when the job was made: the result is offered only while the owner
    still has that scope. `done`/`total` is the progress in the kind's units (ledger rows).
    `worker` names the process running it (host:pid) and `heartbeat_at` when it last reported, so a
    job whose process died is recognised and marked failed (service.fail_interrupted)."""

    __tablename__ = "jobs"
    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(sa.String(40))
    title: Mapped[str] = mapped_column(sa.String(255), default="")
    owner_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"), index=True)
    region_id: Mapped[int | None] = mapped_column(sa.ForeignKey("regions.id"))
    params: Mapped[dict] = mapped_column(sa.JSON, default=dict)
    state: Mapped[JobState] = mapped_column(sa.Enum(JobState, native_enum=False, length=16),
                                            default=JobState.QUEUED, index=True)
    done: Mapped[int] = mapped_column(default=0)
    total: Mapped[int] = mapped_column(default=0)
    result_key: Mapped[str | None] = mapped_column(sa.String(255))
    result_name: Mapped[str] = mapped_column(sa.String(255), default="")
    # The download name's plain-ASCII fallback (documents.download_names), "" when the runner gave none.
    result_ascii: Mapped[str] = mapped_column(sa.String(255), default="", server_default="")
    error: Mapped[str] = mapped_column(sa.String(500), default="")
    attempts: Mapped[int] = mapped_column(default=0)
    worker: Mapped[str] = mapped_column(sa.String(100), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    heartbeat_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    owner = relationship("User")

    @property
    def percent(self) -> int:
        """Progress as a whole percentage (100 when done)."""
        if self.state == JobState.DONE:
            return 100
        return min(99, self.done * 100 // self.total) if self.total else 0
