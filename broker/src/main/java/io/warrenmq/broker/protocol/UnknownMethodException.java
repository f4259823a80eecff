package io.warrenmq.broker.protocol;

/** A method frame names a class and method that AMQP 0-9-1 does not define. */
public final class UnknownMethodException extends IllegalArgumentException {

  private final int classId;
  private final int methodId;

  public UnknownMethodException(int classId, int methodId) {
    super("unknown method " + classId + "/" + methodId);
    this.classId = classId;
    this.methodId = methodId;
  }

  public int classId() {
    return classId;
  }

  public int methodId() {
    return methodId;
  }
}
