"""The metric names dashboards and rules may read: DESIGN.md's public interface and the relay contract.

Recording rule names are read from rules/ at test time; these lists only hold what the exporter and the
relay publish (and Prometheus' own series), so a renamed metric fails the dashboard and rule tests
instead of rendering "No data" or leaving an alert silently dead.
"""

from __future__ import annotations

EXPORTER_METRICS = frozenset(
    {
        # market
        "hyperliquid_market_info",
        "hyperliquid_oracle_price",
        "hyperliquid_mark_price",
        "hyperliquid_mid_price",
        "hyperliquid_funding_rate",
        "hyperliquid_premium_ratio",
        "hyperliquid_open_interest_size",
        "hyperliquid_open_interest_usd",
        "hyperliquid_impact_price",
        "hyperliquid_day_notional_volume_usd",
        "hyperliquid_max_leverage",
        "hyperliquid_open_interest_cap_reached",
        # reference prices
        "hyperliquid_external_price",
        "hyperliquid_external_source_up",
        "hyperliquid_external_source_last_success_timestamp_seconds",
        # vaults
        "hyperliquid_vault_info",
        "hyperliquid_vault_account_value_usd",
        "hyperliquid_vault_pnl_usd",
        # accounts
        "hyperliquid_account_info",
        "hyperliquid_account_value_usd",
        "hyperliquid_account_position_size",
        "hyperliquid_account_position_notional_usd",
        "hyperliquid_account_position_unrealized_pnl_usd",
        "hyperliquid_account_position_liquidation_price",
        # events
        "hyperliquid_liquidations_total",
        "hyperliquid_liquidated_notional_usd_total",
        "hyperliquid_auto_deleverages_total",
        "hyperliquid_auto_deleveraged_notional_usd_total",
        # the exporter itself
        "hyperliquid_up",
        "hyperliquid_exporter_collector_success",
        "hyperliquid_exporter_collector_last_success_timestamp_seconds",
        "hyperliquid_exporter_collector_duration_seconds",
        "hyperliquid_exporter_api_requests_total",
        "hyperliquid_exporter_api_request_errors_total",
        "hyperliquid_exporter_api_weight_used_total",
        "hyperliquid_exporter_api_weight_planned_per_minute",
        "hyperliquid_exporter_api_weight_budget_per_minute",
        "hyperliquid_exporter_build_info",
    }
)

# Published beyond DESIGN.md's minimum and documented in docs/metrics.md.
ADDITIONAL_EXPORTER_METRICS = frozenset(
    {
        # Fills by whose side they are (issue 25): accounts deleveraged, liquidated, realized PnL.
        "hyperliquid_account_auto_deleverages_total",
        "hyperliquid_account_auto_deleveraged_notional_usd_total",
        "hyperliquid_account_last_auto_deleverage_timestamp_seconds",
        "hyperliquid_account_liquidations_total",
        "hyperliquid_account_realized_profit_usd_total",
        "hyperliquid_account_realized_loss_usd_total",
        "hyperliquid_vault_apr_ratio",
        "hyperliquid_account_cross_value_usd",
        "hyperliquid_account_cross_maintenance_margin_used_usd",
        "hyperliquid_exporter_collector_data_expiry_timestamp_seconds",
        "hyperliquid_stablecoin_price",
        "hyperliquid_spot_day_notional_volume",
        "hyperliquid_hyperp_info",
        # the oracle's own sources and its replica (issue 29)
        "hyperliquid_external_day_notional_volume",
        "hyperliquid_oracle_replica_price",
        "hyperliquid_oracle_replica_source_weight",
        "hyperliquid_book_depth",
        # the mark replica and its perp venues (issue 29)
        "hyperliquid_external_perp_price",
        "hyperliquid_mark_replica_price",
        "hyperliquid_mark_replica_component_price",
        "hyperliquid_mark_replica_deviation_ratio",
        # the exporter's own process (prometheus_client's process collector; HyperliquidDataStale)
        "process_start_time_seconds",
        # builder dexes (HIP-3)
        "hyperliquid_dex_info",
        "hyperliquid_dex_up",
        "hyperliquid_dex_last_success_timestamp_seconds",
        "hyperliquid_dex_contexts_streamed",
        "hyperliquid_dex_poll_interval_seconds",
        "hyperliquid_open_interest_cap_usd",
        "hyperliquid_dex_total_net_deposit_usd",
        "hyperliquid_dex_total_open_interest_cap_usd",
        "hyperliquid_account_dex_value_usd",
        # what builder-dex deployers control (issue 30)
        "hyperliquid_dex_sub_deployer_info",
        "hyperliquid_dex_funding_multiplier",
        "hyperliquid_dex_coin_open_interest_cap_usd",
        "hyperliquid_dex_open_interest_size_cap_per_perp",
        "hyperliquid_dex_max_transfer_notional_usd",
        "hyperliquid_dex_collateral_token",
        "hyperliquid_dex_collateral_info",
        "hyperliquid_dex_collateral_price",
        "hyperliquid_dex_collateral_priced",
        "hyperliquid_dex_market_halted",
        # margin tiers of the first dex (issue 30)
        "hyperliquid_margin_table_tier_lower_bound_usd",
        "hyperliquid_margin_table_tier_max_leverage",
        "hyperliquid_market_margin_table",
        "hyperliquid_market_maintenance_margin_ratio",
        # validators and the protocol (issue 30)
        "hyperliquid_governance_votes_pending",
        "hyperliquid_governance_vote_stake_ratio",
        "hyperliquid_governance_vote_expiry_timestamp_seconds",
        "hyperliquid_validators",
        "hyperliquid_staked_hype",
        "hyperliquid_validator_active_stake_ratio",
        "hyperliquid_validator_largest_stake_ratio",
        "hyperliquid_assistance_fund_hype",
        # the monitored accounts' HYPE staking and unstaking queue (issue 30)
        "hyperliquid_account_staked_hype",
        "hyperliquid_account_staking_undelegated_hype",
        "hyperliquid_account_unstaking_pending_hype",
        "hyperliquid_account_unstaking_pending_withdrawals",
        # the WebSocket feeds (exporter/streaming/metrics.py)
        "hyperliquid_stream_connected",
        "hyperliquid_stream_connections_total",
        "hyperliquid_stream_reconnects_total",
        "hyperliquid_stream_stalls_total",
        "hyperliquid_stream_malformed_frames_total",
        "hyperliquid_stream_error_messages_total",
        "hyperliquid_stream_up",
        "hyperliquid_stream_subscriptions_planned",
        "hyperliquid_stream_subscriptions",
        "hyperliquid_stream_messages_total",
        "hyperliquid_stream_malformed_messages_total",
        "hyperliquid_stream_last_message_timestamp_seconds",
        "hyperliquid_stream_last_message_age_seconds",
        "hyperliquid_stream_rest_fallback",
        "hyperliquid_stream_backfilled_fills_total",
        "hyperliquid_stream_backfill_gaps_total",
        "hyperliquid_stream_quota",
        "hyperliquid_stream_quota_planned",
        "hyperliquid_chain_time_seconds",
        "hyperliquid_chain_time_lag_seconds",
        "hyperliquid_evm_block_number",
        "hyperliquid_liveness_probe_failures_total",
        "hyperliquid_exporter_api_request_duration_seconds",
        "hyperliquid_exporter_event_loop_lag_seconds",
        "hyperliquid_stream_pings_total",
        "hyperliquid_stream_acknowledged_by_data_total",
        "hyperliquid_stream_failures_total",
        "hyperliquid_stream_task_restarts_total",
        # node mode (exporter/collectors/node.py)
        "hyperliquid_venue_liquidations_total",
        "hyperliquid_venue_liquidated_notional_usd_total",
        "hyperliquid_venue_auto_deleverages_total",
        "hyperliquid_venue_auto_deleveraged_notional_usd_total",
        "hyperliquid_venue_liquidated_account_notional_usd",
        "hyperliquid_node_block_height",
        "hyperliquid_node_block_time_seconds",
        "hyperliquid_node_lag_seconds",
        "hyperliquid_node_fills_total",
        "hyperliquid_node_lines_total",
        "hyperliquid_node_file_events_total",
    }
)

RELAY_METRICS = frozenset(
    {
        "hyperliquid_relay_build_info",
        "hyperliquid_relay_webhooks_received_total",
        "hyperliquid_relay_webhooks_rejected_total",
        "hyperliquid_relay_notifications_total",
        "hyperliquid_relay_notifications_failed_total",
        "hyperliquid_relay_queue_depth",
        "hyperliquid_relay_queue_oldest_age_seconds",
        "hyperliquid_relay_webhooks_duplicate_total",
        "hyperliquid_relay_notifications_late_total",
        "hyperliquid_relay_messages_set_aside_total",
        "hyperliquid_relay_messages_superseded_total",
        "hyperliquid_relay_record_failures_total",
        "hyperliquid_relay_delivery_stalled",
        "hyperliquid_relay_queue_limit_messages",
    }
)
RELAY_HISTOGRAMS = frozenset({"hyperliquid_relay_delivery_latency_seconds"})
EXPORTER_HISTOGRAMS = frozenset(
    {"hyperliquid_exporter_api_request_duration_seconds", "hyperliquid_exporter_event_loop_lag_seconds"}
)

# Alertmanager's own series that rules/hyperliquid-alerting.rules.yml reads (job alertmanager).
ALERTMANAGER_METRICS = frozenset(
    {"alertmanager_notifications_total", "alertmanager_notifications_failed_total"}
)

# Series Prometheus itself writes: scrape health and the state of alerting rules.
PROMETHEUS_SERIES = frozenset({"up", "ALERTS", "ALERTS_FOR_STATE"})


def published_metric_names() -> frozenset[str]:
    histogram_series = {
        f"{name}{suffix}"
        for name in RELAY_HISTOGRAMS | EXPORTER_HISTOGRAMS
        for suffix in ("_bucket", "_sum", "_count")
    }
    return (
        EXPORTER_METRICS
        | ADDITIONAL_EXPORTER_METRICS
        | RELAY_METRICS
        | ALERTMANAGER_METRICS
        | frozenset(histogram_series)
        | PROMETHEUS_SERIES
    )


# Recording rules DESIGN.md names: dashboards and alerts share them.
DESIGN_RECORDING_RULES = frozenset(
    {
        "coin:hyperliquid_mark_oracle_deviation:ratio",
        "coin:hyperliquid_oracle_reference_deviation:ratio",
        "coin:hyperliquid_mark_price:change_ratio5m",
        "coin:hyperliquid_open_interest_size:change_ratio1m",
        "coin:hyperliquid_hlp_position_notional_usd:sum",
        "coin:hyperliquid_hlp_open_interest_share:ratio",
        "account_coin:hyperliquid_liquidation_distance:ratio",
        "domain:hyperliquid_risk_score:ratio",
        "hyperliquid:risk_score:max",
    }
)
