package io.warrenmq.broker.exchange;

import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The topic exchange's routing index: a trie over the words of binding keys, with {@code *} and
 * {@code #} as ordinary edges that the matcher treats specially.
 *
 * <p>Cost: matching a key of {@code w} words visits, at each node, one exact edge, the {@code *}
 * edge and the {@code #} edge; without {@code #} that is O(w × 2^stars-on-path), in practice O(w).
 * A {@code #} edge tries every remaining suffix, so a pattern with {@code k} hashes costs up to
 * O(w^k) — as in RabbitMQ. Unrelated bindings cost nothing: only edges that match are followed.
 *
 * <p>Readers walk the trie without locks ({@link ConcurrentHashMap} children, copy-on-write
 * destination arrays); writers hold the topology lock.
 */
final class TopicTrie {

  private static final String STAR = "*";
  private static final String HASH = "#";

  private static final class Node {
    final Map<String, Node> children = new ConcurrentHashMap<>(4);
    final BindingSet bindings = new BindingSet();

    boolean isEmpty() {
      return children.isEmpty() && bindings.isEmpty();
    }
  }

  private final Node root = new Node();

  void add(Binding binding) {
    Node node = root;
    for (String word : Exchange.words(binding.routingKey())) {
      node = node.children.computeIfAbsent(word, w -> new Node());
    }
    node.bindings.add(binding);
  }

  void remove(Binding binding) {
    remove(root, Exchange.words(binding.routingKey()), 0, binding);
  }

  /** Removes the binding below {@code node} and prunes nodes left empty. */
  private static void remove(Node node, List<String> words, int i, Binding binding) {
    if (i == words.size()) {
      node.bindings.remove(binding);
      return;
    }
    Node child = node.children.get(words.get(i));
    if (child == null) {
      return;
    }
    remove(child, words, i + 1, binding);
    if (child.isEmpty()) {
      node.children.remove(words.get(i), child);
    }
  }

  void match(String routingKey, Routes routes) {
    match(root, Exchange.words(routingKey), 0, routes);
  }

  private static void match(Node node, List<String> words, int i, Routes routes) {
    Node hash = node.children.get(HASH);
    if (hash != null) {
      // '#' matches zero or more words: try every remaining suffix.
      for (int j = i; j <= words.size(); j++) {
        match(hash, words, j, routes);
      }
    }
    if (i == words.size()) {
      node.bindings.routeTo(routes);
      return;
    }
    Node exact = node.children.get(words.get(i));
    if (exact != null) {
      match(exact, words, i + 1, routes);
    }
    Node star = node.children.get(STAR);
    if (star != null && star != exact) {
      match(star, words, i + 1, routes);
    }
  }
}
