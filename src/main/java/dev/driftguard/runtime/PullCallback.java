package dev.driftguard.runtime;

import com.github.dockerjava.api.async.ResultCallback;
import com.github.dockerjava.api.model.PullResponseItem;
import java.io.Closeable;
import java.io.IOException;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * Follows one pull's progress stream. docker-java's stock callback logs every failure at ERROR
 * before the caller sees it; the agent reports a failed pull once, with context, so this one only
 * records what went wrong: an HTTP-level error ({@link #onError}) or an error line in the stream
 * (the engine answers 200 and then reports, e.g., a refused manifest).
 */
final class PullCallback implements ResultCallback<PullResponseItem> {
  private final CountDownLatch finished = new CountDownLatch(1);
  private volatile Closeable stream;
  private volatile Throwable failure;
  private volatile String streamError;

  @Override
  public void onStart(Closeable stream) {
    this.stream = stream;
  }

  @Override
  public void onNext(PullResponseItem item) {
    if (item.isErrorIndicated() && streamError == null) {
      // errorDetail carries the same text as the deprecated top-level "error" field.
      String message = item.getErrorDetail() == null ? null : item.getErrorDetail().getMessage();
      streamError = message == null ? "the engine reported an error" : message;
    }
  }

  @Override
  public void onError(Throwable throwable) {
    if (failure == null) {
      failure = throwable;
    }
    finished.countDown();
  }

  @Override
  public void onComplete() {
    finished.countDown();
  }

  @Override
  public void close() throws IOException {
    Closeable s = stream;
    if (s != null) {
      s.close();
    }
    finished.countDown();
  }

  /** Waits for the end of the stream; false when {@code timeout} passed first. */
  boolean await(Duration timeout) throws InterruptedException {
    return finished.await(timeout.toMillis(), TimeUnit.MILLISECONDS);
  }

  /** The HTTP-level failure (a DockerException with its status), if any. */
  Throwable failure() {
    return failure;
  }

  /** The first error line of the progress stream, if any. */
  String streamError() {
    return streamError;
  }
}
