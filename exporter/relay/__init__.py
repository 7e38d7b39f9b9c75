"""The alert relay: Alertmanager webhooks in, paced Telegram and Discord messages out, via a durable queue."""
