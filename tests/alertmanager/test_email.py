"""Critical alerts reach an SMTP server as email, through the real Alertmanager and the shipped config.

The server (aiosmtpd on loopback) requires STARTTLS with a throw-away certificate and AUTH, as a real
relay does; Alertmanager trusts the certificate through SSL_CERT_FILE, as docs/routing.md tells users with a
private CA to do.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import httpx
import yaml

from exporter.deploy.alertmanager_config import render_directory
from tests.alertmanager.rendering import environment_for
from tests.alertmanager.sinks import running_sink
from tests.alertmanager.smtp_sink import running_smtp_sink
from tests.alertmanager.test_delivery import alert
from tests.alertmanager.timers import scale_route_timers
from tests.support.alertmanager import alertmanager_command
from tests.support.binaries import ALERTMANAGER_DIR
from tests.support.processes import free_port, running
from tests.web.tls import self_signed

SMTP_USER = "alertmanager@example.test"
SMTP_PASSWORD = "smtp-secret"


def test_critical_alert_is_emailed_and_warning_is_not(tmp_path: Path) -> None:
    certificate = self_signed(tmp_path)
    with (
        running_smtp_sink(certificate, SMTP_USER, SMTP_PASSWORD) as (smtp, smarthost),
        running_sink() as (_, sink_url),
    ):
        environ = {
            **environment_for(sink_url),
            "HL_EMAIL_TO": "oncall@example.test, risk@example.test",
            "HL_EMAIL_FROM": "hyperliquid-alerts@example.test",
            "HL_SMTP_SMARTHOST": smarthost,
            "HL_SMTP_USERNAME": SMTP_USER,
            "HL_SMTP_PASSWORD": SMTP_PASSWORD,
        }
        config_path = render_directory(ALERTMANAGER_DIR, tmp_path / "rendered", environ)
        config = yaml.safe_load(config_path.read_text())
        scale_route_timers(config["route"], 60)
        config_path.write_text(yaml.safe_dump(config, sort_keys=False))
        port = free_port()
        url = f"http://127.0.0.1:{port}"
        argv = [
            *alertmanager_command(),
            f"--config.file={config_path}",
            f"--storage.path={tmp_path / 'data'}",
            f"--web.listen-address=127.0.0.1:{port}",
            f"--web.external-url={url}",
            "--cluster.listen-address=",
        ]
        env = {**os.environ, "SSL_CERT_FILE": str(certificate.cert)}
        with running(argv, f"{url}/-/ready", tmp_path / "alertmanager.log", env=env):
            warning = alert("HyperliquidFundingRateExtreme", "warning", "market", coin="kPEPE")
            critical = alert("HyperliquidOracleDeviation", "critical", "prices", coin="BTC")
            critical["annotations"]["description"] = "Oracle is 3.1% away from the reference median."
            response = httpx.post(f"{url}/api/v2/alerts", json=[warning, critical], timeout=10)
            assert response.status_code == 200, response.text
            smtp.wait_for(1)
            # Longer than the warning route's shrunk group_wait (5 s / 60): a wrongly routed warning
            # email would have arrived by now.
            time.sleep(1.0)
            (delivered,) = smtp.delivered

    assert delivered.login == SMTP_USER
    assert smtp.failed_logins == 0
    assert delivered.mail_from == "hyperliquid-alerts@example.test"
    assert sorted(delivered.rcpt_tos) == ["oncall@example.test", "risk@example.test"]
    message = delivered.message
    assert message["Subject"] == "[FIRING:1] HyperliquidOracleDeviation (critical)"
    assert message["To"] == "oncall@example.test, risk@example.test"
    text = message.get_body(preferencelist=("plain",))
    html = message.get_body(preferencelist=("html",))
    assert text is not None
    assert html is not None
    body = text.get_content()
    assert "* HyperliquidOracleDeviation coin=BTC" in body
    assert "Oracle is 3.1% away from the reference median." in body
    assert (
        "Runbook: https://github.com/hyperliquid-exporter/hyperliquid-exporter/blob/main/RUNBOOK.md#" in body
    )
    assert "Grafana: https://grafana.example.test/d/hl-markets/" in body
    assert f"Alertmanager: {url}" in body
    assert "HyperliquidFundingRateExtreme" not in body
    assert "HyperliquidOracleDeviation" in html.get_content()
