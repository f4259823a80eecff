package io.warrenmq.jms.it;

import io.warrenmq.jms.link.BrokerLink;
import io.warrenmq.jms.link.LinkException;
import org.junit.jupiter.api.Disabled;
import org.junit.jupiter.api.Test;

/**
 * The {@link LinkDeliveryContract} over the in-VM link, on the in-process broker. The tests
 * disabled here name where the in-VM link drifted from the broker's channel; they are to be enabled
 * once the in-VM link runs on the broker's own channel core.
 */
class VmLinkDeliveryIT extends LinkDeliveryContract {
  @Override
  protected BrokerLink connect() throws LinkException {
    return vmLink();
  }

  @Test
  @Disabled(
      "drift: in-VM consume parses the selector itself and throws a LinkException(406) whose text"
          + " lacks 'PRECONDITION_FAILED - ', and leaves the session open; the broker's channel"
          + " closes the channel with 406 PRECONDITION_FAILED - invalid JMS selector ...")
  @Override
  void aSelectorThatDoesNotParseClosesTheSessionWith406() throws Exception {
    super.aSelectorThatDoesNotParseClosesTheSessionWith406();
  }

  @Test
  @Disabled(
      "drift: in-VM consume refuses a blank selector (invalid JMS selector ' '); the broker's"
          + " channel takes a blank x-filter-jms-selector as none and delivers every message")
  @Override
  void aBlankSelectorTakesEveryMessage() throws Exception {
    super.aBlankSelectorTakesEveryMessage();
  }
}
