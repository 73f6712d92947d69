package dev.driftguard.testing;

import dev.driftguard.model.AwsCallListener;
import java.util.ArrayList;
import java.util.List;

/** Records AWS calls as {@code ok service:Operation} / {@code error service:Operation:Code}. */
public final class RecordingAwsCalls implements AwsCallListener {
  private final List<String> events = new ArrayList<>();

  @Override
  public synchronized void onSuccess(String service, String operation) {
    events.add("ok " + service + ":" + operation);
  }

  @Override
  public synchronized void onError(String service, String operation, String code) {
    events.add("error " + service + ":" + operation + ":" + code);
  }

  public synchronized List<String> events() {
    return List.copyOf(events);
  }
}
