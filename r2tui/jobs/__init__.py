"""The scheduled jobs: plain functions of a context, run per account."""

from r2tui.jobs.base import JobContext, JobResult, JobSpec, Outcome, reason_for
from r2tui.jobs.registry import JOBS
from r2tui.jobs.runner import run_job

__all__ = ["JOBS", "JobContext", "JobResult", "JobSpec", "Outcome", "reason_for", "run_job"]
