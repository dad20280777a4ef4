"""Imported on-call calendars (`schedules[].ics`): read at start and every `refresh`, from a file or over HTTPS,
parsed in a worker thread, and put into the shared schedules (`services.schedules`) that `/boltwatch oncall`, Home,
mentions, escalation and the handoff notes read.

A fetch that fails keeps the calendar last loaded (one warning when it starts failing, one line when it works
again); a first load that fails leaves the schedule to its rotations, with a warning, and the bot runs on. A URL is
logged without its query string, which is where calendar feeds carry their secret token.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

import aiohttp

from bot.core.oncall_settings import IcsSettings, calendar_url_problem, redact_url
from bot.services import Services

if TYPE_CHECKING:
    from bot.core.oncall_calendar import ImportedCalendar

log = logging.getLogger(__name__)
FETCH_SECONDS = 20.0
MAX_BYTES = 5 * 1024 * 1024
"""A calendar larger than this is refused: years of PagerDuty export are well under 1 MB."""
ASK_AGAIN = timedelta(minutes=1)


class CalendarUnreadable(Exception):
    """Why a calendar could not be loaded, in words safe to log (no secret URL parts)."""


class CalendarImports:
    def __init__(self, services: Services) -> None:
        self._services = services
        self._sources = {s.name: s.ics for s in services.settings.file.schedules if s.ics is not None}
        self._failing: set[str] = set()
        self._told: dict[str, set[str]] = {}
        self._asked: dict[str, datetime] = {}
        self._asking: set[asyncio.Task[bool]] = set()
        self.loaded_at: dict[str, datetime] = {}
        """When each calendar was last loaded (for status and tests)."""

    @property
    def wanted(self) -> bool:
        return bool(self._sources)

    def files(self) -> list[str]:
        return [name for name, ics in self._sources.items() if ics.file is not None]

    async def run(self) -> None:
        """Keep every calendar loaded, each on its own `refresh` period."""
        await asyncio.gather(*(self._keep(name) for name in self._sources))

    async def _keep(self, name: str) -> None:
        every = self._sources[name].every.total_seconds()
        if name in self.loaded_at:  # read at start already (a file)
            await asyncio.sleep(every)
        while True:
            await self.refresh(name)
            await asyncio.sleep(every)

    async def refresh_all(self, names: list[str] | None = None) -> None:
        await asyncio.gather(*(self.refresh(name) for name in (names if names is not None else self._sources)))

    def refresh_soon(self, name: str) -> None:
        """Read the calendar of `name` again now, in the background (another replica told a newer answer), at most
        once a minute."""
        now = self._services.clock()
        last = self._asked.get(name)
        if name not in self._sources or (last is not None and now - last < ASK_AGAIN):
            return
        self._asked[name] = now
        task = asyncio.create_task(self.refresh(name), name=f"oncall-calendar-{name}")
        self._asking.add(task)
        task.add_done_callback(self._asking.discard)

    async def stop(self) -> None:
        """End the reads `refresh_soon` started (the refresh loop is the app's background task)."""
        for task in list(self._asking):
            task.cancel()
        await asyncio.gather(*self._asking, return_exceptions=True)

    async def refresh(self, name: str) -> bool:
        """Load the calendar of schedule `name` once; whether it loaded."""
        ics = self._sources[name]
        schedules = self._services.schedules
        timezone = schedules[name].timezone
        where = ics.file if ics.file is not None else redact_url(str(ics.url))
        try:
            text = await (_read_file(ics.file) if ics.file is not None else _fetch(str(ics.url)))
            calendar = await asyncio.to_thread(_parse, text, ics, timezone)
        except CalendarUnreadable as exc:
            self._failed(name, where, str(exc))
            return False
        except Exception as exc:  # a parser bug must not end the refresh loop
            self._failed(name, where, f"{type(exc).__name__}: it could not be read")
            return False
        read_at = self._services.clock()
        schedules[name] = replace(schedules[name], calendar=calendar, calendar_read_at=read_at, awaits_calendar=False)
        self.loaded_at[name] = read_at
        if name in self._failing:
            self._failing.discard(name)
            log.info("on-call calendar of schedule %s loaded again from %s", name, where)
        self._tell_once(name, where, calendar)
        return True

    def _failed(self, name: str, where: str, reason: str) -> None:
        schedules = self._services.schedules
        schedule = schedules[name]
        if schedule.awaits_calendar:
            schedules[name] = replace(schedule, awaits_calendar=False)
        if name in self._failing:
            return
        self._failing.add(name)
        if schedule.calendar is not None:
            log.warning("on-call calendar of schedule %s could not be refreshed from %s (%s): keeping the one "
                        "loaded at %s", name, where, reason, self.loaded_at[name].isoformat())  # fmt: skip
        else:
            log.warning("on-call calendar of schedule %s could not be loaded from %s (%s): its rotations decide "
                        "until it loads", name, where, reason)  # fmt: skip

    def _tell_once(self, name: str, where: str, calendar: ImportedCalendar) -> None:
        told = self._told.setdefault(name, set())
        for line in calendar.unmapped:
            if line not in told:
                told.add(line)
                log.warning("on-call calendar of schedule %s (%s): no one in ics.users matches the shift %s; it "
                            "counts as nobody, and the rotations decide there", name, where, line)  # fmt: skip
        for line in calendar.problems:
            if line not in told:
                told.add(line)
                log.warning("on-call calendar of schedule %s (%s): left out %s", name, where, line)


def _parse(text: str, ics: IcsSettings, timezone: str) -> ImportedCalendar:
    # Imported here, in the worker thread: the parser and dateutil load only when a schedule imports a calendar.
    from bot.core.ical import CalendarError
    from bot.core.oncall_calendar import read_calendar

    try:
        return read_calendar(text, users=ics.users, timezone=timezone)
    except CalendarError as exc:
        raise CalendarUnreadable(f"not an iCalendar: {exc}") from None


async def _read_file(path: str) -> str:
    def read() -> str:
        file = Path(path)
        try:
            if file.stat().st_size > MAX_BYTES:
                raise CalendarUnreadable(f"larger than {MAX_BYTES // 1024 // 1024} MB")
            return file.read_bytes().decode("utf-8", errors="replace")
        except OSError as exc:
            raise CalendarUnreadable(exc.strerror or type(exc).__name__) from None

    return await asyncio.to_thread(read)


async def _fetch(url: str) -> str:
    """GET the calendar: a timeout, a size cap, https only (redirects too); errors never carry the URL's query."""
    try:
        timeout = aiohttp.ClientTimeout(total=FETCH_SECONDS)
        async with aiohttp.ClientSession(timeout=timeout) as session:
            headers = {"Accept": "text/calendar, */*;q=0.5", "User-Agent": "boltwatch"}
            async with session.get(url, headers=headers, max_redirects=5) as response:
                try:
                    calendar_url_problem(str(response.url))
                except ValueError:
                    raise CalendarUnreadable("redirected away from https") from None
                if response.status != 200:
                    raise CalendarUnreadable(f"HTTP {response.status}")
                if (response.content_length or 0) > MAX_BYTES:
                    raise CalendarUnreadable(f"larger than {MAX_BYTES // 1024 // 1024} MB")
                body = bytearray()
                async for chunk in response.content.iter_chunked(64 * 1024):
                    body += chunk
                    if len(body) > MAX_BYTES:
                        raise CalendarUnreadable(f"larger than {MAX_BYTES // 1024 // 1024} MB")
                return body.decode(response.charset or "utf-8", errors="replace")
    except CalendarUnreadable:
        raise
    except TimeoutError:
        raise CalendarUnreadable(f"no answer within {FETCH_SECONDS:.0f}s") from None
    except (aiohttp.ClientError, OSError, LookupError) as exc:
        raise CalendarUnreadable(_without_secrets(f"{type(exc).__name__}: {exc}", url)) from None


def _without_secrets(text: str, url: str) -> str:
    """An error's words with the URL, and its path and query wherever they show alone, replaced by the redacted URL."""
    parts = urlsplit(url)
    text = text.replace(url, redact_url(url))
    for secret in (parts.query, parts.path if parts.path.count("/") > 1 else "", parts.username, parts.password):
        if secret:
            text = text.replace(secret, "…")
    return text
