import { describe, expect, it } from 'vitest';
import { TYPE_URLS } from './type-urls.js';
import { envoyValidationErrors } from './validate.js';

const ADS = { ads: {}, resource_api_version: 'V3' };

describe('protoc-gen-validate rules', () => {
  it('accepts a valid cluster and listener', () => {
    expect(envoyValidationErrors({ '@type': TYPE_URLS.Cluster, name: 'c', type: 'EDS', connect_timeout: '5s', eds_cluster_config: { eds_config: ADS } })).toEqual([]);
  });

  it('finds what Envoy would reject', () => {
    expect(envoyValidationErrors({ '@type': TYPE_URLS.Cluster, name: '', type: 'EDS', connect_timeout: '0s' })).toEqual([
      'name: must have at least 1 characters',
      'connect_timeout: must be longer than 0s',
    ]);
    const hcm = (over: Record<string, unknown>) => ({
      '@type': TYPE_URLS.Listener,
      name: 'l',
      address: { socket_address: { address: '127.0.0.1', port_value: 80 } },
      filter_chains: [
        {
          filters: [
            {
              name: 'envoy.filters.network.http_connection_manager',
              typed_config: { '@type': 'type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager', ...over },
            },
          ],
        },
      ],
    });
    expect(envoyValidationErrors(hcm({ stat_prefix: 'x', rds: { config_source: ADS, route_config_name: 'r' } }))).toEqual([]);
    expect(envoyValidationErrors(hcm({ stat_prefix: '' }))).toEqual([
      'filter_chains[0].filters[0].typed_config: one of rds, route_config, scoped_routes is required',
      'filter_chains[0].filters[0].typed_config.stat_prefix: must have at least 1 characters',
    ]);
    const dns = {
      '@type': TYPE_URLS.Listener,
      name: 'dns',
      address: { socket_address: { protocol: 'UDP', address: '127.0.0.1', port_value: 15053 } },
      listener_filters: [
        {
          name: 'envoy.filters.udp.dns_filter',
          typed_config: {
            '@type': 'type.googleapis.com/envoy.extensions.filters.udp.dns_filter.v3.DnsFilterConfig',
            stat_prefix: 'dns',
            server_config: { inline_dns_table: { virtual_domains: [{ name: 'a.mesh', endpoint: { address_list: { address: ['1'] } }, answer_ttl: '10s' }] } },
          },
        },
      ],
    };
    expect(envoyValidationErrors(dns)).toEqual([
      'listener_filters[0].typed_config.server_config.inline_dns_table.virtual_domains[0].endpoint.address_list.address[0]: must have at least 3 characters',
      'listener_filters[0].typed_config.server_config.inline_dns_table.virtual_domains[0].answer_ttl: must be at least 30s',
    ]);
  });
});
