/**
 * What operators see of a running agent: Prometheus meters ({@link
 * dev.driftguard.metrics.AgentMetrics}), the HTTP endpoints {@code /metrics}, {@code /healthz} and
 * {@code /status} ({@link dev.driftguard.metrics.AgentHttpServer}), the status document ({@link
 * dev.driftguard.metrics.StatusView}) and the JSON log format ({@link
 * dev.driftguard.metrics.LogOutput}). It listens to {@code reconcile} and the AWS adapters through
 * their listener interfaces; nothing but {@code cli} imports it. Reference: docs/metrics.md.
 */
package dev.driftguard.metrics;
