"""This project as a monitoring-mixin: rules and dashboards with your selectors and runbook location."""
