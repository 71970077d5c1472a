export * from './common.js';
export { generateSidecar, reachableServices, outboundBindings, dnsNames, dnsPartitions, DNS_CHAIN_PORT, DEFAULT_DNS_PORT, DEFAULT_PASSTHROUGH_PORT, type SidecarInput, type Identity } from './sidecar.js';
export { generateIngress, type IngressInput } from './ingress.js';
export { generateEgress, type EgressInput } from './egress.js';
