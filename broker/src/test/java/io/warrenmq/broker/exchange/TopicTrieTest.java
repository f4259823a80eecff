package io.warrenmq.broker.exchange;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Example;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

/** The topic trie against a ten-line naive matcher, over generated keys and patterns. */
class TopicTrieTest {

  /** AMQP topic matching, written the obvious way: '*' is one word, '#' zero or more. */
  static boolean naiveMatch(List<String> pattern, List<String> key) {
    if (pattern.isEmpty()) {
      return key.isEmpty();
    }
    String head = pattern.get(0);
    List<String> rest = pattern.subList(1, pattern.size());
    if (head.equals("#")) {
      for (int skip = 0; skip <= key.size(); skip++) {
        if (naiveMatch(rest, key.subList(skip, key.size()))) {
          return true;
        }
      }
      return false;
    }
    return !key.isEmpty()
        && (head.equals("*") || head.equals(key.get(0)))
        && naiveMatch(rest, key.subList(1, key.size()));
  }

  record Named(String name) implements Destination {}

  @Property(tries = 500)
  void trieMatchesTheNaiveMatcher(
      @ForAll("patterns") List<String> patterns, @ForAll("keys") List<String> keys) {
    TopicTrie trie = new TopicTrie();
    List<Binding> bindings = new ArrayList<>();
    for (int i = 0; i < patterns.size(); i++) {
      Binding b = new Binding(null, new Named("d" + i), patterns.get(i), null);
      bindings.add(b);
      trie.add(b);
    }
    // Remove every third binding again, so that pruning is exercised too.
    List<Binding> live = new ArrayList<>();
    for (int i = 0; i < bindings.size(); i++) {
      if (i % 3 == 2) {
        trie.remove(bindings.get(i));
      } else {
        live.add(bindings.get(i));
      }
    }
    for (String key : keys) {
      Set<String> expected = new HashSet<>();
      for (Binding b : live) {
        if (naiveMatch(Exchange.words(b.routingKey()), Exchange.words(key))) {
          expected.add(b.destination().name());
        }
      }
      Routes routes = new Routes();
      trie.match(key, routes);
      Set<String> actual = new HashSet<>();
      for (Destination d : routes.destinations()) {
        actual.add(d.name());
      }
      assertEquals(expected, actual, "key '" + key + "' against " + live);
    }
  }

  @Example
  void hashMatchesZeroOrMoreLeadingWords() {
    TopicTrie trie = new TopicTrie();
    trie.add(new Binding(null, new Named("end"), "#.end", null));
    for (String key : List.of("end", "front.end", "a.b.end")) {
      Routes routes = new Routes();
      trie.match(key, routes);
      assertEquals(1, routes.destinations().size(), key);
    }
    Routes none = new Routes();
    trie.match("end.front", none);
    assertEquals(0, none.destinations().size());
  }

  @Provide
  Arbitrary<List<String>> patterns() {
    Arbitrary<String> word = Arbitraries.of("a", "b", "c", "*", "#", "");
    return word.list().ofMinSize(0).ofMaxSize(5).map(TopicTrieTest::join).list().ofMaxSize(12);
  }

  @Provide
  Arbitrary<List<String>> keys() {
    Arbitrary<String> word = Arbitraries.of("a", "b", "c", "d", "");
    return word.list().ofMaxSize(6).map(TopicTrieTest::join).list().ofMinSize(1).ofMaxSize(8);
  }

  private static String join(List<String> words) {
    return words.isEmpty() ? "" : String.join(".", words);
  }
}
