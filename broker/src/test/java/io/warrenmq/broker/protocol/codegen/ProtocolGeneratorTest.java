package io.warrenmq.broker.protocol.codegen;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ProtocolGeneratorTest {

  @Test
  void committedProtocolSourcesMatchTheGenerator() throws IOException {
    Path dir = Path.of("src/main/java", ProtocolGenerator.PACKAGE.replace('.', '/'));
    for (Map.Entry<String, String> file : ProtocolGenerator.fromClasspath().generate().entrySet()) {
      String committed = Files.readString(dir.resolve(file.getKey()), StandardCharsets.UTF_8);
      assertEquals(
          file.getValue(),
          committed,
          file.getKey()
              + " differs from the generator's output: rerun ProtocolGenerator, do not edit it");
    }
  }
}
