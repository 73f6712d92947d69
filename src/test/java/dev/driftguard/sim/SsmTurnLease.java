package dev.driftguard.sim;

import dev.driftguard.fleet.FleetCoordinationException;
import dev.driftguard.fleet.TurnLease;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.random.RandomGenerator;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.services.ssm.SsmClient;
import software.amazon.awssdk.services.ssm.model.ParameterAlreadyExistsException;
import software.amazon.awssdk.services.ssm.model.ParameterNotFoundException;
import software.amazon.awssdk.services.ssm.model.ParameterType;

/**
 * The other candidate for the turn lease, kept only to measure it in the simulator: one SSM
 * parameter per slot, taken with PutParameter without Overwrite (create-if-absent, answered by
 * ParameterAlreadyExists). Parameter Store has no conditional overwrite or delete, so an expired
 * slot can only be taken over by DeleteParameter then PutParameter, and two hosts that both saw it
 * expired (through eventually consistent GetParameter reads) can both believe they won; renewal and
 * release cannot check the generation atomically either. Every call shares SSM's 40 TPS with the
 * desired-state polls. docs/design/fleet-at-scale.md compares it with {@code DynamoDbTurnLease}.
 */
public final class SsmTurnLease implements TurnLease {
  private static final int ATTEMPTS = 2;

  /** The owner written into a slot released to rest until its expiry (DynamoDB removes it). */
  private static final String RESTING = "-";

  private final SsmClient ssm;
  private final Clock clock;
  private final Duration maxSkew;
  private final RandomGenerator random;

  public SsmTurnLease(SsmClient ssm, Clock clock, Duration maxSkew, RandomGenerator random) {
    this.ssm = ssm;
    this.clock = clock;
    this.maxSkew = maxSkew;
    this.random = random;
  }

  private record Held(String owner, long generation, long expiresAt) {
    static Held parse(String value) {
      String[] p = value.split("\\|");
      return new Held(p[0], Long.parseLong(p[1]), Long.parseLong(p[2]));
    }

    String value() {
      return owner + "|" + generation + "|" + expiresAt;
    }
  }

  private static String name(String pool, int slot) {
    return "/driftguard/leases/" + Integer.toHexString(pool.hashCode()) + "/" + slot;
  }

  @Override
  public Optional<Lease> acquire(String pool, int slots, String owner, Duration ttl) {
    try {
      int start = random.nextInt(Math.max(1, slots));
      for (int i = 0; i < Math.min(ATTEMPTS, slots); i++) {
        int slot = (start + i) % slots;
        String name = name(pool, slot);
        long expires = clock.millis() + ttl.toMillis();
        Held mine = new Held(owner, 1, expires);
        try {
          ssm.putParameter(b -> b.name(name).value(mine.value()).type(ParameterType.STRING));
          return Optional.of(lease(pool, slot, mine));
        } catch (ParameterAlreadyExistsException e) {
          Held seen = read(name);
          if (seen == null) {
            continue;
          }
          if (seen.owner().equals(owner)) {
            return Optional.of(lease(pool, slot, seen));
          }
          boolean free =
              seen.owner().equals(RESTING)
                  ? seen.expiresAt() <= clock.millis()
                  : seen.expiresAt() < clock.millis() - maxSkew.toMillis();
          if (free) {
            // No conditional delete: whoever else saw it expired may delete our new one too.
            Held next = new Held(owner, seen.generation() + 1, expires);
            try {
              ssm.deleteParameter(b -> b.name(name));
            } catch (ParameterNotFoundException gone) {
              // Someone deleted it first.
            }
            try {
              ssm.putParameter(b -> b.name(name).value(next.value()).type(ParameterType.STRING));
              return Optional.of(lease(pool, slot, next));
            } catch (ParameterAlreadyExistsException lost) {
              continue;
            }
          }
        }
      }
      return Optional.empty();
    } catch (SdkException e) {
      throw failure(e);
    }
  }

  @Override
  public boolean renew(Lease lease, Duration ttl) {
    try {
      Held seen = read(name(lease.pool(), lease.slot()));
      if (seen == null
          || !seen.owner().equals(lease.owner())
          || seen.generation() != lease.generation()) {
        return false;
      }
      Held next = new Held(lease.owner(), lease.generation(), clock.millis() + ttl.toMillis());
      // Unconditional: a takeover between the read and this write is overwritten.
      ssm.putParameter(
          b -> b.name(name(lease.pool(), lease.slot())).value(next.value()).overwrite(true));
      return true;
    } catch (SdkException e) {
      throw failure(e);
    }
  }

  @Override
  public void release(Lease lease, Instant freeFrom) {
    try {
      String name = name(lease.pool(), lease.slot());
      Held seen = read(name);
      if (seen != null
          && seen.owner().equals(lease.owner())
          && seen.generation() == lease.generation()) {
        if (freeFrom.toEpochMilli() > clock.millis()) {
          Held resting = new Held(RESTING, lease.generation(), freeFrom.toEpochMilli());
          ssm.putParameter(b -> b.name(name).value(resting.value()).overwrite(true));
        } else {
          ssm.deleteParameter(b -> b.name(name));
        }
      }
    } catch (ParameterNotFoundException e) {
      // Released already.
    } catch (SdkException e) {
      throw failure(e);
    }
  }

  @Override
  public List<Lease> holders(String pool) {
    // Would take one GetParameters call per 10 slots; the simulated agents count holders from
    // the lease's answers only with DynamoDB. Here: none known, which is what makes it unsafe.
    return new ArrayList<>();
  }

  @Override
  public Run beginRun(String task, String owner, Duration ttl) {
    throw new UnsupportedOperationException("run-once is measured on DynamoDB only");
  }

  @Override
  public boolean renewRun(Run run, Duration ttl) {
    throw new UnsupportedOperationException("run-once is measured on DynamoDB only");
  }

  @Override
  public boolean finishRun(Run run, RunState result) {
    throw new UnsupportedOperationException("run-once is measured on DynamoDB only");
  }

  @Override
  public Optional<Run> run(String task) {
    throw new UnsupportedOperationException("run-once is measured on DynamoDB only");
  }

  private Held read(String name) {
    try {
      return Held.parse(ssm.getParameter(b -> b.name(name)).parameter().value());
    } catch (ParameterNotFoundException e) {
      return null;
    }
  }

  private static Lease lease(String pool, int slot, Held h) {
    return new Lease(pool, slot, h.owner(), h.generation(), Instant.ofEpochMilli(h.expiresAt()));
  }

  private static FleetCoordinationException failure(SdkException e) {
    return new FleetCoordinationException(
        "SSM lease call failed: " + e.getMessage(), dev.driftguard.aws.AwsErrors.throttled(e), e);
  }
}
