"""Budget alerts in the formats people already receive: Slack, PagerDuty Events API v2, plain JSON.

Every threshold a budget has ``crossed`` or is ``expected`` to cross by its period's end
(:func:`planner.finops.budgets.budget_status`) is one :class:`Alert`, identified by budget,
period, threshold and state (:attr:`Alert.key`, e.g. ``search-llm.2025-01.80pct.crossed``). An
alert of a threshold that was expected and is now crossed is a new alert (it says more); the same
alert is never written or sent twice: :func:`write_alerts` adds an alert's three files to a
planner-owned folder only when they are not there yet, and a re-run finds them there.

- **Slack** incoming webhooks take ``{"text": ..., "blocks": [...]}`` (``text`` is the
  notification's fallback; the blocks are a ``section`` of mrkdwn text and a ``context`` line);
- **PagerDuty** Events API v2 (``https://events.pagerduty.com/v2/enqueue``) takes
  ``routing_key``, ``event_action`` (``trigger``), ``dedup_key`` and ``payload`` with
  ``summary`` (at most 1,024 characters), ``source``, ``severity`` (``critical`` for a crossed
  threshold of 100 % or more, ``error`` for another crossed one, ``warning`` for an expected one),
  ``timestamp``, ``component``, ``group``, ``class`` and ``custom_details``; its ``dedup_key`` is
  budget, period and threshold, so PagerDuty folds "expected" and then "crossed" into one incident;
- the **plain event** is the alert's own fields as JSON, for any other receiver.

:func:`post_alert` sends one payload to a webhook URL with a timeout; an unreachable host, a
timeout or an HTTP error is a :class:`planner.exceptions.DeliveryError` naming the host and
what it answered.
"""

from __future__ import annotations

import json
import socket
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd

from planner.exceptions import DeliveryError, InputError
from planner.outputs import claim_folder, write_file
from planner.report import format as fmt

__all__ = ["Alert", "alerts_from", "slack_payload", "pagerduty_payload", "event_payload", "write_alerts",
           "post_alert", "check_url", "FORMATS", "alert_files", "payload_format"]

#: Payload formats, by the suffix of their files.
FORMATS = ("slack", "pagerduty", "event")


@dataclass(frozen=True)
class Alert:
    """One threshold of one budget, crossed or expected to be.

    Attributes
    ----------
    budget, period : str
        The budget's name and its period's label (``2025-01``).
    threshold_pct : float
        [% of the amount].
    state : {"crossed", "expected"}
    when : str
        When it was crossed, or is expected to be (ISO 8601), "" when unknown.
    amount_usd, spent_usd, forecast_usd, forecast_lo_usd, forecast_hi_usd : float
        [USD]; the forecast is spent + the rest of the period, with its interval.
    level : int
        The forecast interval [%].
    exhaustion : str
        When the budget runs out (ISO 8601), "" when not within the period.
    scope, owner, channel, routing_key : str
    as_of : str
        The end of the data the spend was counted to (ISO 8601).
    """

    budget: str
    period: str
    threshold_pct: float
    state: str
    when: str
    amount_usd: float
    spent_usd: float
    forecast_usd: float
    forecast_lo_usd: float
    forecast_hi_usd: float
    level: int
    exhaustion: str
    scope: str
    owner: str
    channel: str
    routing_key: str
    as_of: str

    @property
    def key(self) -> str:
        """``<budget>.<period>.<threshold>pct.<state>``: what is never alerted twice."""
        return f"{self.budget}.{self.period}.{self.threshold_pct:g}pct.{self.state}"

    @property
    def dedup_key(self) -> str:
        """``planner/<budget>/<period>/<threshold>pct``: PagerDuty's incident key (both states)."""
        return f"planner/{self.budget}/{self.period}/{self.threshold_pct:g}pct"

    @property
    def severity(self) -> str:
        """PagerDuty severity: ``critical`` (crossed >= 100 %), ``error`` (crossed), ``warning`` (expected)."""
        if self.state == "crossed":
            return "critical" if self.threshold_pct >= 100 else "error"
        return "warning"

    def summary(self) -> str:
        """One sentence: what happened, by how much, and what comes next."""
        spent = f"{fmt.usd(self.spent_usd)} of {fmt.usd(self.amount_usd)} ({fmt.pct(100 * self.spent_usd / self.amount_usd)})"
        if self.state == "crossed":
            head = (f"Budget {self.budget} ({self.period}) crossed {self.threshold_pct:g} %"
                    f"{' on ' + fmt.date(self.when) if self.when else ''}: {spent} spent")
        else:
            head = (f"Budget {self.budget} ({self.period}) is expected to cross {self.threshold_pct:g} %"
                    f"{' on ' + fmt.date(self.when) if self.when else ''}: {spent} spent so far")
        text = f"{head} to {fmt.date(self.as_of)}."
        if pd.notna(self.forecast_usd):
            text += (f" Forecast to the period's end {fmt.usd(self.forecast_usd)} ({self.level} % interval "
                     f"{fmt.usd(self.forecast_lo_usd)} to {fmt.usd(self.forecast_hi_usd)}).")
        if self.exhaustion:
            text += f" Runs out {fmt.date(self.exhaustion)}."
        return text


def _iso(value: object) -> str:
    return "" if fmt.missing(value) else pd.Timestamp(value).isoformat()


def alerts_from(status) -> list[Alert]:
    """The alerts of a :class:`planner.finops.budgets.BudgetStatus`: its crossed and expected thresholds."""
    table = status.table.set_index("budget")
    out = []
    for r in status.thresholds.itertuples():
        if r.state not in ("crossed", "expected"):
            continue
        b = table.loc[r.budget]
        out.append(Alert(r.budget, r.period, float(r.threshold_pct), r.state, _iso(r.when), float(b["amount_usd"]),
                         float(b["spent_usd"]), float(b["forecast_usd"]), float(b["forecast_lo_usd"]),
                         float(b["forecast_hi_usd"]), int(status.level), _iso(b["exhaustion"]), str(b["scope"]),
                         r.owner, r.channel, r.pagerduty_routing_key, _iso(b["data_until"])))
    return out


def slack_payload(alert: Alert) -> dict:
    """The body a Slack incoming webhook takes: ``text`` and ``blocks``."""
    icon = ":rotating_light:" if alert.state == "crossed" else ":warning:"
    who = " ".join(x for x in (f"Owner: {alert.owner}." if alert.owner else "",
                               f"Channel: {alert.channel}." if alert.channel else "") if x)
    context = f"Scope: {alert.scope}. {who} Sent by planner budget status; key {alert.key}.".replace("  ", " ")
    return {"text": f"{icon} {alert.summary()}",
            "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": f"{icon} *{alert.summary()}*"}},
                       {"type": "context", "elements": [{"type": "mrkdwn", "text": context}]}]}


def pagerduty_payload(alert: Alert, routing_key: str = "") -> dict:
    """The body the PagerDuty Events API v2 takes (``routing_key`` from the budget, else this argument)."""
    return {"routing_key": alert.routing_key or routing_key, "event_action": "trigger",
            "dedup_key": alert.dedup_key,
            "payload": {"summary": alert.summary()[:1024], "source": "planner budget status", "severity": alert.severity,
                        "timestamp": alert.as_of + "Z" if alert.as_of and "+" not in alert.as_of else alert.as_of,
                        "component": alert.budget, "group": alert.scope, "class": f"budget threshold {alert.state}",
                        "custom_details": {k: v for k, v in asdict(alert).items() if k != "routing_key"}}}


def event_payload(alert: Alert) -> dict:
    """The alert as a plain JSON event: its fields, key, severity, summary and when it was made."""
    return {"kind": "planner.budget_threshold", "key": alert.key, "dedup_key": alert.dedup_key,
            "severity": alert.severity, "summary": alert.summary(),
            **{k: v for k, v in asdict(alert).items() if k != "routing_key"},
            "created_at": datetime.now(UTC).isoformat(timespec="seconds")}


def payload_format(url: str, given: str = "auto") -> str:
    """The payload a URL takes: ``given``, else ``slack`` for hooks.slack.com, ``pagerduty`` for
    events.pagerduty.com, else ``event``."""
    if given != "auto":
        if given not in FORMATS:
            raise InputError(f"--post-format {given!r}: expected auto or one of {list(FORMATS)}")
        return given
    host = (urllib.parse.urlsplit(url).hostname or "").lower()
    if host.endswith("slack.com"):
        return "slack"
    if host.endswith("pagerduty.com"):
        return "pagerduty"
    return "event"


def alert_files(alert: Alert) -> dict[str, str]:
    """``{format: file name}`` of one alert's payloads."""
    return {f: f"{alert.key}.{f}.json" for f in FORMATS}


def write_alerts(alerts: Sequence[Alert], folder: str | Path, command: str = "planner budget status",
                 routing_key: str = "", deliver=None) -> tuple[list[Alert], list[Alert]]:
    """Write each new alert's Slack, PagerDuty and plain-event payloads into ``folder``.

    The folder is planner's (:func:`planner.outputs.claim_folder`: new, empty or written by planner;
    a folder of other files is refused). An alert whose files are there already was written (and
    sent) by an earlier run and is skipped. ``deliver(alert)``, when given, is called before an
    alert's files are written, so an alert that could not be sent is not marked as done and the
    next run tries it again.

    Returns
    -------
    (new, already) : tuple of lists of Alert
    """
    folder = Path(folder)
    new = [a for a in alerts if not all((folder / n).is_file() for n in alert_files(a).values())]
    already = [a for a in alerts if a not in new]
    names = [n for a in new for n in alert_files(a).values()]
    claim_folder(folder, command, names, option="--alerts")
    done = []
    for a in new:
        if deliver is not None:
            try:
                deliver(a)
            except DeliveryError as exc:
                raise DeliveryError(f"{exc}; {len(done)} of {len(new)} new alert(s) were sent and written, the rest "
                                    "were not (a re-run sends them)") from None
        bodies = {"slack": slack_payload(a), "pagerduty": pagerduty_payload(a, routing_key), "event": event_payload(a)}
        for kind, name in alert_files(a).items():
            with write_file(folder / name, option="--alerts") as tmp:
                tmp.write_text(json.dumps(bodies[kind], indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
        done.append(a)
    return new, already


def check_url(url: str) -> str:
    """``url`` when it is an http(s) URL with a host, else an :class:`InputError` (before anything is written)."""
    parts = urllib.parse.urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise InputError(f"--post {url!r}: expected an http:// or https:// webhook URL")
    return url


def post_alert(url: str, body: dict, timeout: float = 10.0) -> int:
    """POST ``body`` as JSON to ``url``; return the HTTP status.

    Raises
    ------
    InputError
        ``url`` is not an http(s) URL.
    DeliveryError
        No answer within ``timeout`` [s], the host refused or is unknown, or an HTTP status >= 400
        (the message has the status and the start of the answer).
    """
    parts = urllib.parse.urlsplit(check_url(url))
    where = f"{parts.scheme}://{parts.hostname}{f':{parts.port}' if parts.port else ''}"
    data = json.dumps(body).encode("utf-8")
    request = urllib.request.Request(url, data=data, method="POST",
                                     headers={"Content-Type": "application/json", "User-Agent": "planner"})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as answer:  # noqa: S310 (http(s) checked above)
            return int(answer.status)
    except urllib.error.HTTPError as exc:
        text = " ".join(exc.read(300).decode("utf-8", errors="replace").split())
        raise DeliveryError(f"--post {where}: HTTP {exc.code} {exc.reason}{': ' + text if text else ''}") from None
    except TimeoutError:
        raise DeliveryError(f"--post {where}: no answer within {timeout:g} s (--timeout)") from None
    except urllib.error.URLError as exc:
        reason = exc.reason
        if isinstance(reason, (TimeoutError, socket.timeout)):
            raise DeliveryError(f"--post {where}: no answer within {timeout:g} s (--timeout)") from None
        raise DeliveryError(f"--post {where}: cannot connect ({reason})") from None
    except OSError as exc:
        raise DeliveryError(f"--post {where}: cannot connect ({exc})") from None
