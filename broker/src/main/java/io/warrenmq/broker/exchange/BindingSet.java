package io.warrenmq.broker.exchange;

import java.util.ArrayList;
import java.util.List;

/**
 * The bindings that share one routing-index slot (a direct key, a topic trie node, a fanout), with
 * a copy-on-write array of their distinct destinations for lock-free routing. Changes happen under
 * the topology lock and cost the slot's own size, not the exchange's.
 */
final class BindingSet {

  private static final Destination[] EMPTY = new Destination[0];

  private final List<Binding> bindings = new ArrayList<>(2);
  private volatile Destination[] destinations = EMPTY;

  void add(Binding binding) {
    bindings.add(binding);
    rebuild();
  }

  /** Removes a binding and says whether the slot is now empty. */
  boolean remove(Binding binding) {
    bindings.remove(binding);
    rebuild();
    return bindings.isEmpty();
  }

  boolean isEmpty() {
    return bindings.isEmpty();
  }

  void routeTo(Routes routes) {
    for (Destination d : destinations) {
      routes.add(d);
    }
  }

  private void rebuild() {
    List<Destination> distinct = new ArrayList<>(bindings.size());
    for (Binding b : bindings) {
      if (!containsIdentity(distinct, b.destination())) {
        distinct.add(b.destination());
      }
    }
    destinations = distinct.toArray(EMPTY);
  }

  private static boolean containsIdentity(List<Destination> list, Destination d) {
    for (Destination x : list) {
      if (x == d) {
        return true;
      }
    }
    return false;
  }
}
