import type { MetricSource } from '@causeway/api';
import type { TrafficInsightsStats } from './collector.js';

export { capCallers, DEFAULT_TRAFFIC_INSIGHTS_INTERVAL_MS, fetchMetrics, TrafficInsightsCollector, type TrafficInsightsOptions, type TrafficInsightsStats } from './collector.js';

/** The collector's counters for `/metrics` (0 on a replica that does not lead). */
export function trafficInsightsMetrics(stats: () => TrafficInsightsStats | undefined): MetricSource[] {
  const read = (k: keyof TrafficInsightsStats) => () => stats()?.[k] ?? 0;
  return [
    { name: 'causeway_traffic_insights_rounds_total', help: 'Traffic insights collection rounds run by this replica (the zone leader)', type: 'counter', read: read('rounds') },
    { name: 'causeway_traffic_insights_scrapes_total', help: "Scrapes of proxies' /metrics for traffic insights", type: 'counter', read: read('scrapes') },
    { name: 'causeway_traffic_insights_scrape_errors_total', help: 'Scrapes of proxies that failed (unreachable, timeout, HTTP error)', type: 'counter', read: read('scrapeErrors') },
    { name: 'causeway_traffic_insights_writes_total', help: 'ExternalServiceInsights written (only changed ones are)', type: 'counter', read: read('writes') },
    { name: 'causeway_traffic_insights_targets', help: 'Proxies scraped successfully in the last round', type: 'gauge', read: read('targets') },
    { name: 'causeway_traffic_insights_round_seconds', help: 'How long the last collection round took', type: 'gauge', read: () => (stats()?.lastRoundMs ?? 0) / 1000 },
  ];
}
