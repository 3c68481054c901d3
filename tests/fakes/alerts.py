"""The in-memory AlertStore for unit tests: the port of alpr.adapters.alerts, in dicts."""

from __future__ import annotations

from alpr.domain.alerts import Alert, AlertStatus, Disposition


class MemoryAlertStore:
    """The same ports in dicts, for unit tests."""

    def __init__(self) -> None:
        self.alerts: dict[str, Alert] = {}
        self.published: list[tuple[Alert, str, str]] = []
        self.recipients = ["email:duty-sergeant@example.gov"]

    def put_alert(self, alert: Alert) -> bool:
        if alert.alert_id in self.alerts:
            return False
        self.alerts[alert.alert_id] = alert
        return True

    def get_alert(self, alert_id: str) -> Alert | None:
        return self.alerts.get(alert_id)

    def mark_notified(self, alert_id: str) -> None:
        self.alerts[alert_id] = self.alerts[alert_id].model_copy(update={"notified": True})

    def list_alerts(
        self, status: AlertStatus, limit: int, start: dict[str, str] | None
    ) -> tuple[list[Alert], dict[str, str] | None]:
        matching = sorted(
            (a for a in self.alerts.values() if a.status is status), key=lambda a: a.created_at, reverse=True
        )
        return matching[:limit], None

    def close(self, alert_id: str, disposition: Disposition) -> bool:
        alert = self.alerts.get(alert_id)
        if alert is None or alert.status is not AlertStatus.OPEN:
            return False
        self.alerts[alert_id] = alert.model_copy(
            update={"status": AlertStatus.CLOSED, "dispositions": [*alert.dispositions, disposition]}
        )
        return True

    def publish(self, alert: Alert, subject: str, body: str) -> list[str]:
        self.published.append((alert, subject, body))
        return list(self.recipients)
