"""Views of background jobs: the progress (page or polling fragment), the result download and the
retry. Every view is the owner's only (service.load_for answers 404 to anyone else)."""
from flask import Response, redirect, stream_with_context, url_for
from flask_login import current_user

from inspect_app import access
from inspect_app.access import SIGNED_IN
from inspect_app.audit import security
from inspect_app.documents.download_names import DownloadName, content_disposition
from inspect_app.jobs import bp, service
from inspect_app.jobs.models import JobState
from inspect_app.rendering import render, wants_fragment

MIMETYPES = {".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
             ".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
             ".zip": "application/zip"}


def progress(job, status: int = 200):
    """The job's progress: the whole page, or for htmx its fragment (which polls every second while
    the job is queued or running, and carries no trigger once it has finished)."""
    return render("jobs/detail.html", "jobs/_progress.html", status=status, job=job, JobState=JobState,
                  kind=service.KINDS[job.kind])


@bp.get("/<int:job_id>")
@access.rule(SIGNED_IN)
def detail(job_id):
    """A job's progress, state and, when done, its download link; when failed, why and 重试."""
    return progress(service.load_for(current_user, job_id))


@bp.get("/<int:job_id>/download")
@access.rule(SIGNED_IN)
def download(job_id):
    """The finished job's file, streamed, to its owner only (audited as the kind's export)."""
    job = service.load_for(current_user, job_id)
    handle = service.open_result(job)
    security.download(f"export.{job.kind}", obj=job, object_type="Job", label=job.result_name)

    def chunks():
        with handle:
            while block := handle.read(256 * 1024):
                yield block

    ext = job.result_name[job.result_name.rfind("."):] if "." in job.result_name else ""
    name = DownloadName(job.result_name, job.result_ascii) if job.result_ascii else job.result_name
    return Response(stream_with_context(chunks()), mimetype=MIMETYPES.get(ext, "application/octet-stream"),
                    headers={"Content-Disposition": content_disposition(name),
                             "Cache-Control": "private, no-store"})


@bp.post("/<int:job_id>/retry")
@access.rule(SIGNED_IN)
def retry(job_id):
    """Queue a failed job again (重试); the fragment starts polling again."""
    job = service.retry(current_user, service.load_for(current_user, job_id))
    if not wants_fragment():
        return redirect(url_for("jobs.detail", job_id=job.id))
    return progress(job)
