"""An expected S3 object or prefix that has not arrived by its deadline: the daily file an ETL waits for."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import cached_property
from typing import Any, Literal
from urllib.parse import quote
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from botocore.client import BaseClient
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from bot.core.findings import CheckResult, Finding
from bot.durations import DurationOrZero, format_duration
from bot.enums import Severity
from scheduler.registry import CheckContext, check

PERIODS_WATCHED = 2
"""The current period and the one before it. A missing file keeps its alert past the start of the next period
(yesterday's file is still missing at 00:01); once two newer periods have begun, its alert resolves whether or not
the file came, and the newer periods' alerts speak for themselves."""
PREFIX_PAGE = 100
PARENT_LISTING = 1000
"""Keys read to find the newest object near a missing one: one call, so a huge parent costs no more than that."""
_CLOCK = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)$")
_MINUTE = re.compile(r"^:([0-5]\d)$")


class S3ArrivalParams(BaseModel):
    model_config = ConfigDict(extra="forbid")

    bucket: str = Field(min_length=3, max_length=63)
    key: str = Field(min_length=1, description="a key, or a prefix ending in `/`; strftime placeholders allowed")
    deadline: str = Field(description="`06:30` for daily and weekdays, minutes past the hour like `:15` for hourly")
    timezone: str = Field(default="UTC", description="IANA time zone of the deadline and the placeholders")
    schedule: Literal["daily", "weekdays", "hourly"] = "daily"
    min_size: int = Field(default=1, ge=0, description="bytes an object needs to count as arrived")
    grace: DurationOrZero = Field(default=timedelta(0), description="how long after the deadline it fires")
    severity: Literal["critical", "warning", "info"] = "warning"
    account: str | None = Field(default=None, description="the configured account to look from; default: each")
    region: str | None = Field(default=None, description="the region to look from; default: each configured one")

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, name: str) -> str:
        try:
            ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {name!r}; use an IANA name like Europe/Paris") from None
        return name

    @model_validator(mode="after")
    def _deadline_fits_the_schedule(self) -> S3ArrivalParams:
        pattern, example = (_MINUTE, '":15"') if self.schedule == "hourly" else (_CLOCK, '"06:30"')
        if not pattern.match(self.deadline):
            raise ValueError(f"deadline {self.deadline!r} does not fit the {self.schedule} schedule; write {example}")
        if self.grace >= (timedelta(hours=1) if self.schedule == "hourly" else timedelta(days=1)):
            raise ValueError(f"grace must be shorter than one {self.schedule} period")
        return self

    @cached_property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def deadline_of(self, start: datetime) -> datetime:
        """The deadline of the period that starts at `start` (local), as local wall-clock time."""
        if self.schedule == "hourly":
            return (start.astimezone(UTC) + timedelta(minutes=int(self.deadline[1:]))).astimezone(self.zone)
        hour, minute = map(int, self.deadline.split(":"))
        return datetime.combine(start.date(), time(hour, minute), tzinfo=self.zone)


@dataclass(frozen=True)
class Period:
    """One scheduled period: its local deadline, when it is overdue (UTC), the key it expects and its id."""

    deadline: datetime
    due: datetime
    key: str
    id: str

    @classmethod
    def starting(cls, start: datetime, params: S3ArrivalParams) -> Period:
        deadline = params.deadline_of(start)
        period_id = start.isoformat(timespec="minutes") if params.schedule == "hourly" else start.date().isoformat()
        return cls(deadline, deadline.astimezone(UTC) + params.grace, start.strftime(params.key), period_id)


def periods(now: datetime, params: S3ArrivalParams) -> list[Period]:
    """The current period and those before it, newest first; weekdays skip Saturdays and Sundays."""
    local = now.astimezone(params.zone)
    if params.schedule == "hourly":
        hour = local.replace(minute=0, second=0, microsecond=0).astimezone(UTC)
        starts = [(hour - timedelta(hours=n)).astimezone(params.zone) for n in range(PERIODS_WATCHED)]
    else:
        days: list[date] = []
        day = local.date()
        while len(days) < PERIODS_WATCHED:
            if params.schedule == "daily" or day.weekday() < 5:
                days.append(day)
            day -= timedelta(days=1)
        starts = [datetime.combine(day, time(0), tzinfo=params.zone) for day in days]
    return [Period.starting(start, params) for start in starts]


@dataclass(frozen=True)
class S3Object:
    key: str
    size: int
    modified: datetime

    @classmethod
    def listed(cls, item: dict[str, Any]) -> S3Object:
        return cls(item["Key"], item["Size"], item["LastModified"].astimezone(UTC))


def search(s3: BaseClient, bucket: str, key: str, min_size: int) -> tuple[S3Object | None, list[S3Object]]:
    """The first object that counts as arrived, and (up to three of) those too small to count. A prefix is met by
    any object below it; an exact key, if present, is the first key listed under itself."""
    exact, too_small = not key.endswith("/"), list[S3Object]()
    pages = s3.get_paginator("list_objects_v2").paginate(
        Bucket=bucket, Prefix=key, PaginationConfig={"PageSize": 1 if exact else PREFIX_PAGE}
    )
    for found in (S3Object.listed(item) for page in pages for item in page.get("Contents", [])):
        if exact and found.key != key:
            break
        if found.size >= min_size:
            return found, too_small
        if len(too_small) < 3:
            too_small.append(found)
        if exact:
            break
    return None, too_small


def newest_under(s3: BaseClient, bucket: str, prefix: str) -> tuple[S3Object | None, bool]:
    """The newest of the first PARENT_LISTING objects under `prefix`, and whether there were more."""
    response = s3.list_objects_v2(Bucket=bucket, Prefix=prefix, MaxKeys=PARENT_LISTING)
    found = map(S3Object.listed, response.get("Contents", []))
    return max(found, key=lambda o: o.modified, default=None), bool(response.get("IsTruncated"))


@check("s3_arrival", service="s3", permissions=["s3:ListBucket"], every="5m", params=S3ArrivalParams)
def s3_arrival(ctx: CheckContext, params: S3ArrivalParams) -> CheckResult:
    """An expected S3 object or prefix that has not arrived by its deadline."""
    if params.account not in (None, ctx.account) or params.region not in (None, ctx.region):
        return CheckResult.of([])
    s3, findings = ctx.client("s3"), []
    for period in periods(ctx.now, params):
        report = Report(ctx, params, period)
        if ctx.now < period.due:
            findings.append(report.not_due())
            continue
        arrived, too_small = search(s3, params.bucket, period.key, params.min_size)
        if arrived is not None:
            findings.append(report.arrived(arrived))
        else:
            latest, more = newest_under(s3, params.bucket, report.parent)
            findings.append(report.missing(too_small, latest, more=more))
    return CheckResult.of(findings, scope=f"s3_arrival:{ctx.account_id}:{ctx.region}:{params.bucket}/{params.key}:")


@dataclass(frozen=True)
class Report:
    """The finding about one period of one expected object."""

    ctx: CheckContext
    params: S3ArrivalParams
    period: Period

    @property
    def uri(self) -> str:
        return f"s3://{self.params.bucket}/{self.period.key}"

    @property
    def parent(self) -> str:
        key = self.period.key.rstrip("/")
        return key[: key.rfind("/") + 1]

    @property
    def due(self) -> str:
        return f"{self.period.deadline:%H:%M} {self.params.timezone}"

    def not_due(self) -> Finding:
        return self.finding(firing=False, title=f"{self.uri} is not due until {self.due}", evidence={})

    def arrived(self, found: S3Object) -> Finding:
        late = found.modified - self.period.deadline
        when = _local(found.modified, self.params)
        if late > timedelta(0):
            when += f", {format_duration(late)} after the deadline"
        evidence = {"Arrived": f"{_describe(found)} at {when}"}
        return self.finding(firing=False, title=f"{self.uri} arrived", evidence=evidence)

    def missing(self, too_small: list[S3Object], latest: S3Object | None, *, more: bool) -> Finding:
        params = self.params
        evidence = {"Late by": format_duration(self.ctx.now - self.period.deadline)}
        if too_small:
            shown = ", ".join(map(_describe, too_small))
            evidence["Too small"] = f"{shown}: under min_size {_size(params.min_size)}"
        first = f" (of the first {PARENT_LISTING})" if more else ""
        evidence[f"Newest under s3://{params.bucket}/{self.parent}{first}"] = (
            f"{_describe(latest)}, {_local(latest.modified, params)}" if latest else "nothing"
        )
        return self.finding(firing=True, title=f"{self.uri} has not arrived (due {self.due})", evidence=evidence)

    def finding(self, *, firing: bool, title: str, evidence: dict[str, str]) -> Finding:
        ctx, params, period = self.ctx, self.params, self.period
        size, utc = _size(params.min_size), period.deadline.astimezone(UTC)
        prefix = period.key.endswith("/")
        expected = f"an object of at least {size} under {self.uri}" if prefix else f"{self.uri}, at least {size}"
        deadline = f"{period.deadline:%a %Y-%m-%d %H:%M} {params.timezone} ({utc:%H:%M} UTC)"
        deadline += f", plus {format_duration(params.grace)} grace" if params.grace else ""
        return Finding(
            fingerprint=f"s3_arrival:{ctx.account_id}:{ctx.region}:{params.bucket}/{params.key}:{period.id}",
            firing=firing,
            title=title,
            severity=Severity(params.severity),
            resource=self.uri,
            account=ctx.account_id,
            region=ctx.region,
            labels={"bucket": params.bucket, "key": params.key, "period": period.id},
            links={"console": console_url(ctx.region, params.bucket, self.parent)},
            evidence={"Expected": expected, "Deadline": deadline} | evidence,
            started_at=period.due if firing else None,
        )


def console_url(region: str, bucket: str, prefix: str) -> str:
    return (
        f"https://s3.console.aws.amazon.com/s3/buckets/{quote(bucket, safe='')}"
        f"?region={region}&prefix={quote(prefix, safe='')}"
    )


def _local(at: datetime, params: S3ArrivalParams) -> str:
    return f"{at.astimezone(params.zone):%Y-%m-%d %H:%M} {params.timezone}"


def _describe(found: S3Object) -> str:
    return f"{found.key} ({_size(found.size)})"


def _size(n: float) -> str:
    for unit in ("B", "KiB", "MiB"):
        if n < 1024:
            return f"{n:.0f} B" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n:.1f} GiB"
