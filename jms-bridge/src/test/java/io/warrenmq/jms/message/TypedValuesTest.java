package io.warrenmq.jms.message;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

import jakarta.jms.MessageFormatException;
import org.junit.jupiter.api.Test;

/** The property conversion table of Jakarta Messaging 3.1 §3.5.4. */
class TypedValuesTest {

  @Test
  void widerIntegerTypesReadNarrowerOnesButNotTheReverse() throws Exception {
    assertEquals(7L, TypedValues.toLong((byte) 7));
    assertEquals(7, TypedValues.toInt((short) 7));
    assertThrows(MessageFormatException.class, () -> TypedValues.toInt(7L));
    assertThrows(MessageFormatException.class, () -> TypedValues.toByte(7));
  }

  @Test
  void stringsConvertToEveryTypeAndBack() throws Exception {
    assertEquals(12, TypedValues.toInt("12"));
    assertEquals(1.5, TypedValues.toDouble("1.5"));
    assertEquals(true, TypedValues.toBoolean("TRUE"));
    assertEquals("12", TypedValues.toStringValue(12));
    assertThrows(NumberFormatException.class, () -> TypedValues.toInt("twelve"));
  }

  @Test
  void aMissingValueIsFalseForBooleansAndANumberFormatErrorForNumbers() {
    assertFalse(assertDoesNotThrowBoolean());
    assertThrows(NumberFormatException.class, () -> TypedValues.toInt(null));
    assertThrows(NumberFormatException.class, () -> TypedValues.toLong(null));
  }

  private static boolean assertDoesNotThrowBoolean() {
    try {
      return TypedValues.toBoolean(null);
    } catch (MessageFormatException e) {
      throw new AssertionError(e);
    }
  }

  @Test
  void floatsAndDoublesDoNotMixWithIntegers() {
    assertThrows(MessageFormatException.class, () -> TypedValues.toDouble(1));
    assertThrows(MessageFormatException.class, () -> TypedValues.toLong(1.0));
    assertThrows(MessageFormatException.class, () -> TypedValues.toFloat(1.0));
  }
}
