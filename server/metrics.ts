/**
 * Prometheus metrics: request counts and latency per route pattern, plus Node's defaults.
 */
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

export interface Metrics {
  registry: Registry;
  requests: Counter<'method' | 'route' | 'status'>;
  latency: Histogram<'method' | 'route'>;
  /** OpenIGTLink: a device's clock minus Passerelle's at its last message, in seconds. */
  igtlClockOffset: Gauge<'device'>;
  /** OpenIGTLink messages received, by type, and refused, by STATUS code. */
  igtlMessages: Counter<'type' | 'outcome'>;
}

export function createMetrics(): Metrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const requests = new Counter({
    name: 'passerelle_http_requests_total',
    help: 'HTTP requests by method, route pattern and status',
    labelNames: ['method', 'route', 'status'] as const,
    registers: [registry],
  });
  const latency = new Histogram({
    name: 'passerelle_http_request_duration_seconds',
    help: 'HTTP request latency by method and route pattern',
    labelNames: ['method', 'route'] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [registry],
  });
  const igtlClockOffset = new Gauge({
    name: 'passerelle_igtl_clock_offset_seconds',
    help: "OpenIGTLink device clock (message timestamp) minus Passerelle's receive time, per device name",
    labelNames: ['device'] as const,
    registers: [registry],
  });
  const igtlMessages = new Counter({
    name: 'passerelle_igtl_messages_total',
    help: 'OpenIGTLink messages by type, and by outcome (received, or the STATUS code they were refused with)',
    labelNames: ['type', 'outcome'] as const,
    registers: [registry],
  });
  return { registry, requests, latency, igtlClockOffset, igtlMessages };
}
