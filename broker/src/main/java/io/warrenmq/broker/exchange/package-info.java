/**
 * Exchanges and bindings: one exchange type per file (direct, fanout, topic, headers), each keeping
 * a routing index that publishers read without locks while the topology lock's holder changes it.
 * Routing cost depends on the bindings that match, not on unrelated ones (headers aside).
 */
package io.warrenmq.broker.exchange;
