/**
 * ExternalServiceInsight: the traffic a zone's proxies carried to one ExternalService, written by the
 * zone control plane (its leader scrapes the proxies' `/metrics`) and synced to global like the other
 * zone insights. One per ExternalService per zone: named after the ExternalService in its zone, and
 * `<name>.<zone>` at global (the sync's rule for zone resources).
 *
 * The counters are kept as a short time series so that global can answer rates and percentiles over the
 * last 5 minutes and the last hour without ever talking to a proxy:
 *
 *   sidecars   what this zone's sidecars sent to the ExternalService (the callers' view: requests by status
 *              class, latency histogram, bytes, connections);
 *   egresses   what this zone's ZoneEgresses sent to it (originated here, or passed through to the zone
 *              that owns it), with the MeshTrafficPermission denials of the egress' HTTP RBAC filter;
 *   callers    the sidecars' requests per calling service (the `kuma.io/service` of their first inbound).
 *
 * Each series holds 10 s buckets (`buckets10s`, for the 5 minute window) and 1 minute buckets
 * (`buckets1m`, for the hour); only buckets with traffic are kept, counters that are 0 are left out, and
 * buckets older than their window are dropped when the insight is written again. So a quiet
 * ExternalService costs nothing: with no traffic nothing changes and nothing is written. The latency
 * histogram uses Envoy's default bounds (`LATENCY_BOUNDS_MS`), trailing empty buckets cut. Callers carry
 * requests and responses only (no latency, no bytes) and are capped at `MAX_CALLERS` per zone (the rest are
 * summed into `OTHER_CALLERS`); a full insight (every bucket used, 20 callers) is ~100 KB, a typical one
 * a few KB.
 */
import { z } from 'zod';
import { nameSchema } from '../validation.js';

/** Envoy's default histogram bounds (ms); a latency histogram has one more bucket (above the last bound). */
export const LATENCY_BOUNDS_MS: readonly number[] = [0.5, 1, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000, 30000, 60000, 300000, 600000, 1800000, 3600000];

/** Callers kept per insight; the others are summed into one entry named `OTHER_CALLERS`. */
export const MAX_CALLERS = 20;
export const OTHER_CALLERS = '(other)';

/** Status classes of responses. */
export const STATUS_CLASSES = ['1xx', '2xx', '3xx', '4xx', '5xx'] as const;
export type StatusClass = (typeof STATUS_CLASSES)[number];

/** What proxies counted during one bucket. Every counter is optional: absent means 0. */
export interface TrafficBucket {
  /** Start of the bucket: Unix time in seconds, a multiple of its step (10 or 60). */
  t: number;
  /** Upstream requests started (Envoy's `upstream_rq_total`: every attempt, retries included). */
  requests?: number;
  /** Responses received, by status class (`upstream_rq_xx`). */
  responses?: Partial<Record<StatusClass, number>>;
  /** 403 responses (`upstream_rq{envoy_response_code="403"}`): a denial by a MeshTrafficPermission at the egress, or the service's own 403. */
  forbidden?: number;
  /** Latency histogram of the responses: counts per bucket of `LATENCY_BOUNDS_MS` (and one above), trailing zeros cut. */
  latency?: number[];
  /** Sum of the latencies (ms). */
  latencySumMs?: number;
  /** Bytes received from / sent to the ExternalService (or the next hop). */
  rxBytes?: number;
  txBytes?: number;
  /** Upstream connections opened. */
  connections?: number;
  /** Requests the egress' HTTP RBAC filter denied (MeshTrafficPermission). */
  rbacDenied?: number;
}

export interface TrafficSeries {
  /** Proxies of the zone that have a cluster for the ExternalService and were scraped last time. */
  proxies?: number;
  /** Upstream connections open at the last scrape. */
  activeConnections?: number;
  /** 10 s buckets, oldest first, only those with traffic (the 5 minute window). */
  buckets10s?: TrafficBucket[];
  /** 1 minute buckets, oldest first, only those with traffic (the 1 hour window). */
  buckets1m?: TrafficBucket[];
}

export interface CallerSeries extends TrafficSeries {
  /** The calling service: `kuma.io/service` of its sidecars' first inbound. */
  service: string;
}

export interface ExternalServiceInsightSpec {
  /** The ExternalService (its name in the mesh). */
  externalService: string;
  /** Its `kuma.io/service`: the proxies count per service, so ExternalServices sharing one share the numbers. */
  service: string;
  /** The zone that wrote it. */
  zone?: string;
  sidecars?: TrafficSeries;
  egresses?: TrafficSeries;
  callers?: CallerSeries[];
}

const count = z.number().int('must be an integer').min(0, 'must not be negative').max(Number.MAX_SAFE_INTEGER);
const responsesSchema = z.strictObject(Object.fromEntries(STATUS_CLASSES.map((c) => [c, count.optional()])) as Record<StatusClass, z.ZodOptional<typeof count>>);

const bucketSchema = z.strictObject({
  t: count,
  requests: count.optional(),
  responses: responsesSchema.optional(),
  forbidden: count.optional(),
  latency: z
    .array(count)
    .max(LATENCY_BOUNDS_MS.length + 1)
    .optional(),
  latencySumMs: z.number().min(0).max(Number.MAX_SAFE_INTEGER).optional(),
  rxBytes: count.optional(),
  txBytes: count.optional(),
  connections: count.optional(),
  rbacDenied: count.optional(),
});

/** A few more than a window holds: the bucket being filled and one that is about to leave. */
const seriesFields = {
  proxies: count.optional(),
  activeConnections: count.optional(),
  buckets10s: z.array(bucketSchema).max(32).optional(),
  buckets1m: z.array(bucketSchema).max(62).optional(),
};
const seriesSchema = z.strictObject(seriesFields);
const serviceSchema = z.string().min(1, 'is required').max(253, 'must be at most 253 characters');

export const externalServiceInsightSchema = z.strictObject({
  externalService: nameSchema,
  service: serviceSchema,
  zone: z.string().max(63).optional(),
  sidecars: seriesSchema.optional(),
  egresses: seriesSchema.optional(),
  callers: z
    .array(z.strictObject({ service: serviceSchema, ...seriesFields }))
    .max(MAX_CALLERS + 1)
    .optional(),
});
