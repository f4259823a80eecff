package io.warrenmq.broker.exchange;

import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Set;

/**
 * What one publish routes to: each destination once, however many bindings lead to it. Most
 * publishes reach a handful of destinations, so a list scanned by identity serves; past sixteen a
 * set takes over so that a fanout to thousands of queues stays linear.
 */
public final class Routes {

  private static final int SCAN_LIMIT = 16;

  private final List<Destination> destinations = new ArrayList<>(4);
  private Set<Destination> seen;

  /** Adds {@code destination} unless it is already there. */
  public void add(Destination destination) {
    if (seen != null) {
      if (seen.add(destination)) {
        destinations.add(destination);
      }
      return;
    }
    for (int i = 0; i < destinations.size(); i++) {
      if (destinations.get(i) == destination) {
        return;
      }
    }
    destinations.add(destination);
    if (destinations.size() > SCAN_LIMIT) {
      seen = Collections.newSetFromMap(new IdentityHashMap<>());
      seen.addAll(destinations);
    }
  }

  public List<Destination> destinations() {
    return destinations;
  }

  public boolean isEmpty() {
    return destinations.isEmpty();
  }

  public void clear() {
    destinations.clear();
    seen = null;
  }
}
