package dev.driftguard.testing.aws;

import java.time.Duration;
import java.time.Instant;
import java.util.Locale;
import java.util.Objects;
import java.util.SplittableRandom;

/**
 * One injected fault of {@link LocalAws}: <b>which calls</b> (a service key and an operation,
 * {@code "*"} for any), <b>which of them</b> (all; the next N, after M served; a seeded fraction; a
 * time window; or a combination, every condition must hold), and <b>what happens</b> (an AWS error
 * in the service's own shape, or latency before the real answer).
 *
 * <p>The errors are the ones AWS answers, so the SDK classifies them as it would in production
 * ({@code isThrottlingException()}, retryable 5xx):
 *
 * <table>
 *   <caption>Error codes per service</caption>
 *   <tr><th>service</th><th>{@link #throttle}</th><th>{@link #unavailable}</th><th>{@link
 *       #internalError}</th></tr>
 *   <tr><td>ssm</td><td>400 ThrottlingException</td><td>503 ServiceUnavailable</td><td>500
 *       InternalServerError</td></tr>
 *   <tr><td>ecr</td><td>400 ThrottlingException</td><td>503 ServiceUnavailable</td><td>500
 *       ServerException</td></tr>
 *   <tr><td>elbv2</td><td>400 Throttling</td><td>503 ServiceUnavailable</td><td>500
 *       InternalFailure</td></tr>
 *   <tr><td>ec2</td><td>503 RequestLimitExceeded</td><td>503 Unavailable</td><td>500
 *       InternalError</td></tr>
 *   <tr><td>dynamodb</td><td>400 ThrottlingException</td><td>503 ServiceUnavailable</td><td>500
 *       InternalServerError</td></tr>
 *   <tr><td>imds</td><td>429</td><td>503</td><td>500</td></tr>
 * </table>
 *
 * <pre>{@code
 * aws.inject(FaultRule.throttle("ssm", "GetParameters").times(3));
 * aws.inject(FaultRule.unavailable("elbv2", "*").forNext(Duration.ofSeconds(10)));
 * aws.inject(FaultRule.latency("ec2", "CreateTags", Duration.ofMillis(800)).rate(0.5, 42));
 * }</pre>
 *
 * <p>Latency rules add up; the first error rule (in the order installed) that selects a call fails
 * it. A rule is configured before {@link LocalAws#inject} installs it (each modifier returns a new
 * rule); once installed it counts the calls it hit ({@link #hits()}). Time windows use the
 * endpoint's clock; {@link #forNext} starts when the rule is installed.
 */
public final class FaultRule {

  /** What a selected call gets. */
  public sealed interface Effect permits Error, Delay {}

  /** The call fails with {@code fault}, rendered in the service's protocol. */
  public record Error(AwsFault fault) implements Effect {
    public Error {
      Objects.requireNonNull(fault, "fault");
    }
  }

  /** The call is answered as usual, {@code latency} later. */
  public record Delay(Duration latency) implements Effect {
    public Delay {
      if (latency.isNegative()) {
        throw new IllegalArgumentException("latency must not be negative: " + latency);
      }
    }
  }

  private final String service;
  private final String operation;
  private final Effect effect;
  private final int skip;
  private final int times;
  private final double rate;
  private final long seed;
  private final Instant from;
  private final Instant until;
  private final Duration window;

  // State of an installed rule, guarded by this.
  private SplittableRandom random;
  private int seen;
  private int hits;

  private FaultRule(
      String service,
      String operation,
      Effect effect,
      int skip,
      int times,
      double rate,
      long seed,
      Instant from,
      Instant until,
      Duration window) {
    this.service = Objects.requireNonNull(service, "service");
    this.operation = Objects.requireNonNull(operation, "operation");
    this.effect = Objects.requireNonNull(effect, "effect");
    this.skip = skip;
    this.times = times;
    this.rate = rate;
    this.seed = seed;
    this.from = from;
    this.until = until;
    this.window = window;
    this.random = new SplittableRandom(seed);
  }

  /**
   * Every selected call of {@code service}'s {@code operation} ({@code "*"}: any) gets {@code
   * effect}.
   */
  public static FaultRule of(String service, String operation, Effect effect) {
    return new FaultRule(service, operation, effect, 0, -1, 1.0, 0, null, null, null);
  }

  /** Fails selected calls with {@code fault}. */
  public static FaultRule error(String service, String operation, AwsFault fault) {
    return of(service, operation, new Error(fault));
  }

  /** The service's own throttling error (see the table above). */
  public static FaultRule throttle(String service, String operation) {
    return error(service, operation, throttling(service));
  }

  /** The service's own "service unavailable" (HTTP 503). */
  public static FaultRule unavailable(String service, String operation) {
    return error(service, operation, unavailable(service));
  }

  /** The service's own internal error (HTTP 500). */
  public static FaultRule internalError(String service, String operation) {
    return error(service, operation, internal(service));
  }

  /** Answers selected calls as usual, {@code latency} later. */
  public static FaultRule latency(String service, String operation, Duration latency) {
    return of(service, operation, new Delay(latency));
  }

  /** The throttling error {@code service} answers when its request rate is exceeded. */
  public static AwsFault throttling(String service) {
    return switch (service) {
      case "ssm", "ecr", "dynamodb" -> AwsFault.badRequest("ThrottlingException", "Rate exceeded");
      case "elbv2" -> AwsFault.badRequest("Throttling", "Rate exceeded");
      // EC2 throttles with HTTP 503 and its own code.
      case "ec2" -> new AwsFault(503, "RequestLimitExceeded", "Request limit exceeded.");
      case "imds" -> new AwsFault(429, "TooManyRequests", "");
      default -> throw unknown(service);
    };
  }

  /** What {@code service} answers when it cannot serve at the moment (HTTP 503). */
  public static AwsFault unavailable(String service) {
    return switch (service) {
      case "ssm", "ecr", "elbv2", "dynamodb" ->
          new AwsFault(503, "ServiceUnavailable", "Service is unable to handle request.");
      case "ec2" ->
          new AwsFault(
              503, "Unavailable", "The server is overloaded and can't handle the request.");
      case "imds" -> new AwsFault(503, "ServiceUnavailable", "");
      default -> throw unknown(service);
    };
  }

  /** {@code service}'s internal error (HTTP 500), as its API models it. */
  public static AwsFault internal(String service) {
    return switch (service) {
      case "ssm", "dynamodb" ->
          new AwsFault(500, "InternalServerError", "An error occurred on the server side.");
      case "ecr" ->
          new AwsFault(
              500, "ServerException", "These errors are usually caused by a server-side issue.");
      case "elbv2" ->
          new AwsFault(
              500,
              "InternalFailure",
              "The request processing has failed because of an unknown error.");
      case "ec2" -> new AwsFault(500, "InternalError", "An internal error has occurred.");
      case "imds" -> new AwsFault(500, "InternalError", "");
      default -> throw unknown(service);
    };
  }

  private static IllegalArgumentException unknown(String service) {
    return new IllegalArgumentException(
        "no fault codes for service '" + service + "' (ssm, ecr, ec2, elbv2, dynamodb, imds)");
  }

  // ---- selection (each returns a new rule) ---------------------------------------------------

  /** At most {@code count} calls get the effect; then the rule is spent. */
  public FaultRule times(int count) {
    if (count < 0) {
      throw new IllegalArgumentException("count must not be negative: " + count);
    }
    return new FaultRule(service, operation, effect, skip, count, rate, seed, from, until, window);
  }

  /** The first {@code served} matching calls are served as usual. */
  public FaultRule after(int served) {
    if (served < 0) {
      throw new IllegalArgumentException("served must not be negative: " + served);
    }
    return new FaultRule(
        service, operation, effect, served, times, rate, seed, from, until, window);
  }

  /**
   * Each matching call gets the effect with probability {@code fraction}, drawn from a generator
   * seeded with {@code seed}: the same sequence of calls gets the same faults in every run.
   */
  public FaultRule rate(double fraction, long seed) {
    if (!(fraction >= 0 && fraction <= 1)) {
      throw new IllegalArgumentException("fraction must be within 0..1: " + fraction);
    }
    return new FaultRule(
        service, operation, effect, skip, times, fraction, seed, from, until, window);
  }

  /** Only calls arriving in {@code [start, end)} (the endpoint's clock). */
  public FaultRule between(Instant start, Instant end) {
    if (!end.isAfter(start)) {
      throw new IllegalArgumentException("empty window " + start + ".." + end);
    }
    return new FaultRule(service, operation, effect, skip, times, rate, seed, start, end, null);
  }

  /** Only calls arriving within {@code duration} of the rule's installation. */
  public FaultRule forNext(Duration duration) {
    if (duration.isNegative() || duration.isZero()) {
      throw new IllegalArgumentException("duration must be positive: " + duration);
    }
    return new FaultRule(service, operation, effect, skip, times, rate, seed, null, null, duration);
  }

  // ---- as installed ---------------------------------------------------------------------------

  /** The rule as {@link LocalAws#inject} installs it at {@code now}: a relative window starts. */
  FaultRule installedAt(Instant now) {
    if (window == null) {
      return new FaultRule(service, operation, effect, skip, times, rate, seed, from, until, null);
    }
    return new FaultRule(
        service, operation, effect, skip, times, rate, seed, now, now.plus(window), null);
  }

  public String service() {
    return service;
  }

  public String operation() {
    return operation;
  }

  public Effect effect() {
    return effect;
  }

  /** Calls that got the effect so far. */
  public synchronized int hits() {
    return hits;
  }

  /** True when the rule can select no more calls (count used up, or its window over). */
  synchronized boolean spent(Instant now) {
    return (times >= 0 && hits >= times) || (until != null && !now.isBefore(until));
  }

  /**
   * Whether this call of {@code callService}'s {@code callOperation}, arriving at {@code now}, gets
   * the effect; counts it when it does.
   */
  synchronized boolean select(String callService, String callOperation, Instant now) {
    if (!service.equals(callService)
        || !(operation.equals("*") || operation.equals(callOperation))) {
      return false;
    }
    if (from != null && now.isBefore(from)) {
      return false;
    }
    if (spent(now)) {
      return false;
    }
    if (seen++ < skip) {
      return false;
    }
    if (rate < 1.0 && random.nextDouble() >= rate) {
      return false;
    }
    hits++;
    return true;
  }

  @Override
  public String toString() {
    StringBuilder s = new StringBuilder(service).append(':').append(operation).append(" -> ");
    if (effect instanceof Error e) {
      s.append(e.fault().status()).append(' ').append(e.fault().code());
    } else {
      s.append("latency ").append(((Delay) effect).latency().toMillis()).append(" ms");
    }
    if (skip > 0) {
      s.append(", after ").append(skip).append(" served");
    }
    if (times >= 0) {
      s.append(", ").append(times).append(" time(s)");
    }
    if (rate < 1.0) {
      s.append(String.format(Locale.ROOT, ", rate %.2f (seed %d)", rate, seed));
    }
    if (from != null) {
      s.append(", ").append(from).append("..").append(until);
    } else if (window != null) {
      s.append(", for ").append(window.toMillis()).append(" ms");
    }
    return s.toString();
  }
}
