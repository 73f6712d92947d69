package dev.driftguard.sim;

/**
 * AWS's API rate limit: a bucket of {@code capacity} tokens that refills {@code refillPerSecond}
 * tokens a second up to its capacity; each request takes one token or is throttled. The
 * simulation's buckets are per account and region, shared by every host.
 */
public final class TokenBucket {
  private final double capacity;
  private final double refillPerMilli;
  private double tokens;
  private long last;

  public TokenBucket(double capacity, double refillPerSecond) {
    if (capacity <= 0 || refillPerSecond <= 0) {
      throw new IllegalArgumentException("capacity and refill must be positive");
    }
    this.capacity = capacity;
    this.refillPerMilli = refillPerSecond / 1000.0;
    this.tokens = capacity;
  }

  /** Takes {@code cost} tokens at virtual time {@code now}; false when the bucket lacks them. */
  public boolean tryTake(long now, double cost) {
    if (now > last) {
      tokens = Math.min(capacity, tokens + (now - last) * refillPerMilli);
      last = now;
    }
    if (tokens + 1e-9 < cost) {
      return false;
    }
    tokens -= cost;
    return true;
  }

  public double capacity() {
    return capacity;
  }

  public double refillPerSecond() {
    return refillPerMilli * 1000.0;
  }
}
