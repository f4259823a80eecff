/**
 * Small AMQP clients for the end-to-end benchmarks that PerfTest does not cover: holding many idle
 * connections open, and measuring tail latency at a fixed rate. The JMH benchmarks live in the
 * packages of the code they measure, since some of it is package-private.
 */
package io.warrenmq.bench;
