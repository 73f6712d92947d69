package dev.driftguard.fleet;

import dev.driftguard.aws.AwsErrors;
import dev.driftguard.model.AwsCallListener;
import dev.driftguard.model.GroupSettings;
import dev.driftguard.model.InvalidValueException;
import dev.driftguard.model.TargetCall;
import dev.driftguard.model.TargetHealthCheck;
import dev.driftguard.model.TargetId;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Supplier;
import java.util.random.RandomGenerator;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;
import software.amazon.awssdk.services.dynamodb.model.ConditionalCheckFailedException;
import software.amazon.awssdk.services.dynamodb.model.QueryResponse;
import software.amazon.awssdk.services.dynamodb.model.ResourceNotFoundException;

/**
 * {@link TurnLease} on a DynamoDB table: each slot is one item, changed only by conditional writes
 * (the lease-table pattern of the Kinesis Client Library), read only with strongly consistent
 * reads. Every call costs one request unit of an on-demand table; an {@link #acquire} costs one
 * {@code Query} and at most {@link #MAX_ATTEMPTS} {@code PutItem}s.
 *
 * <p>Table (docs/install.md): partition key {@code pool} (S), sort key {@code slot} (N). A lease
 * item is {@code pool = "lease#" + pool}, {@code slot} its index, {@code owner} (absent when
 * released), {@code generation} (N), {@code expiresAt} (N, epoch milliseconds of the holder's
 * clock; of a released slot, when it is free again). A one-time task's item is {@code pool = "run#"
 * + task}, {@code slot = 0}, with {@code state} too. A target group's settings, shared by the host
 * that read them from ELBv2, are {@code pool = "group#" + pool}, {@code slot = 0}, with {@code
 * deregistrationDelayMs}, {@code healthCheckIntervalMs}, {@code healthyThreshold} and {@code
 * sharedAt} (N, epoch milliseconds). The group's census, the last read of its targets shared by a
 * host, is {@code pool = "census#" + pool}, {@code slot = 0}, with {@code targets} (S: one {@code
 * instanceId port state} per line), {@code number} (N: its place in the census's order) and {@code
 * sharedAt} (N, epoch milliseconds of the writer's clock); its counter, {@code slot = 1}, holds
 * {@code reserved} (N: the last number taken, before a read of ELBv2). A held lease may carry its
 * holder's intent ({@link #postIntent}): {@code intent} (S: {@code REGISTER} or {@code
 * DEREGISTER}), {@code intentTarget} (S: {@code instanceId port}), {@code intentNumber} (N) and,
 * once a peer's call carried it, {@code intentDone} (N: the number done); a release or a takeover
 * removes them. Items are never deleted: a released slot keeps its generation, so fencing tokens
 * only grow.
 *
 * <p>A takeover writes on the condition that the generation is still the one it read and that the
 * expiry is still before its cutoff (now minus the maximum skew; for a released slot, resting until
 * its expiry, now), so a renewal that lands between the read and the write wins.
 */
public final class DynamoDbTurnLease implements TurnLease {
  /** Free slots tried per {@link #acquire} before answering "lost the race". */
  static final int MAX_ATTEMPTS = 2;

  static final String POOL = "pool";
  static final String SLOT = "slot";
  static final String OWNER = "owner";
  static final String GENERATION = "generation";
  static final String EXPIRES_AT = "expiresAt";
  static final String STATE = "state";
  private static final String LEASE_PREFIX = "lease#";
  private static final String RUN_PREFIX = "run#";
  private static final String GROUP_PREFIX = "group#";
  private static final String CENSUS_PREFIX = "census#";
  static final String TARGETS = "targets";
  static final String DELAY_MS = "deregistrationDelayMs";
  static final String INTERVAL_MS = "healthCheckIntervalMs";
  static final String HEALTHY_THRESHOLD = "healthyThreshold";
  static final String SHARED_AT = "sharedAt";
  static final String NUMBER = "number";
  static final String RESERVED = "reserved";
  static final String INTENT = "intent";
  static final String INTENT_TARGET = "intentTarget";
  static final String INTENT_NUMBER = "intentNumber";
  static final String INTENT_DONE = "intentDone";

  /** Every attribute of a lease's intent, for the writes that withdraw it. */
  private static final String NO_INTENT_ATTRIBUTES = "#intent, #itarget, #ino, #idone";

  /** The census counter's item: {@code pool = "census#" + pool}, beside the census (slot 0). */
  static final int COUNTER_SLOT = 1;

  private static final Map<String, String> NAMES =
      Map.ofEntries(
          Map.entry("#pool", POOL),
          Map.entry("#owner", OWNER),
          Map.entry("#gen", GENERATION),
          Map.entry("#exp", EXPIRES_AT),
          Map.entry("#state", STATE),
          Map.entry("#num", NUMBER),
          Map.entry("#res", RESERVED),
          Map.entry("#intent", INTENT),
          Map.entry("#itarget", INTENT_TARGET),
          Map.entry("#ino", INTENT_NUMBER),
          Map.entry("#idone", INTENT_DONE));

  private final DynamoDbClient dynamo;
  private final String table;
  private final Clock clock;
  private final Duration maxSkew;
  private final RandomGenerator random;
  private final AwsCallListener listener;

  /**
   * @param clock this host's clock: expiries are written from it and compared with it
   * @param maxSkew the most two hosts' clocks may differ; a lease is taken over only this long
   *     after its expiry
   * @param random picks which free slot to try first, so contenders spread over the slots
   */
  public DynamoDbTurnLease(
      DynamoDbClient dynamo,
      String table,
      Clock clock,
      Duration maxSkew,
      RandomGenerator random,
      AwsCallListener listener) {
    this.dynamo = Objects.requireNonNull(dynamo, "dynamo");
    if (table == null || table.isBlank()) {
      throw new IllegalArgumentException("table must be set");
    }
    this.table = table;
    this.clock = Objects.requireNonNull(clock, "clock");
    if (maxSkew == null || maxSkew.isNegative()) {
      throw new IllegalArgumentException("maxSkew must be >= 0, got " + maxSkew);
    }
    this.maxSkew = maxSkew;
    this.random = Objects.requireNonNull(random, "random");
    this.listener = Objects.requireNonNull(listener, "listener");
  }

  @Override
  public Optional<Lease> acquire(String pool, int slots, String owner, Duration ttl) {
    if (slots < 1) {
      return Optional.empty();
    }
    Instant now = clock.instant();
    long nowMs = now.toEpochMilli();
    long cutoff = now.minus(maxSkew).toEpochMilli();
    List<Map<String, AttributeValue>> items = query(LEASE_PREFIX + pool);
    Map<Integer, Map<String, AttributeValue>> bySlot = new HashMap<>();
    int held = 0;
    for (Map<String, AttributeValue> item : items) {
      int slot = Integer.parseInt(item.get(SLOT).n());
      bySlot.put(slot, item);
      if (item.containsKey(OWNER) && owner.equals(item.get(OWNER).s())) {
        Lease mine = lease(pool, item);
        if (renew(mine, ttl)) {
          return Optional.of(
              new Lease(pool, slot, owner, mine.generation(), clock.instant().plus(ttl)));
        }
      } else if (takenAt(item, nowMs, cutoff)) {
        held++;
      }
    }
    if (held >= slots) {
      return Optional.empty();
    }
    List<Integer> free = new ArrayList<>();
    for (int slot = 0; slot < slots; slot++) {
      Map<String, AttributeValue> item = bySlot.get(slot);
      if (item == null || !takenAt(item, nowMs, cutoff)) {
        free.add(slot);
      }
    }
    int start = free.isEmpty() ? 0 : random.nextInt(free.size());
    for (int i = 0; i < Math.min(MAX_ATTEMPTS, free.size()); i++) {
      int slot = free.get((start + i) % free.size());
      Map<String, AttributeValue> seen = bySlot.get(slot);
      long generation = seen == null ? 1 : number(seen, GENERATION) + 1;
      Instant expiresAt = clock.instant().plus(ttl);
      Map<String, AttributeValue> item = new HashMap<>();
      item.put(POOL, s(LEASE_PREFIX + pool));
      item.put(SLOT, n(slot));
      item.put(OWNER, s(owner));
      item.put(GENERATION, n(generation));
      item.put(EXPIRES_AT, n(expiresAt.toEpochMilli()));
      boolean won =
          seen == null
              ? putIf(item, "attribute_not_exists(#pool)", Map.of())
              : putIf(
                  item,
                  "#gen = :gen AND (#exp < :cutoff"
                      + " OR (attribute_not_exists(#owner) AND #exp <= :now))",
                  Map.of(":gen", n(generation - 1), ":cutoff", n(cutoff), ":now", n(nowMs)));
      if (won) {
        return Optional.of(new Lease(pool, slot, owner, generation, expiresAt));
      }
    }
    return Optional.empty();
  }

  @Override
  public boolean renew(Lease lease, Duration ttl) {
    return updateIf(
        key(LEASE_PREFIX + lease.pool(), lease.slot()),
        "SET #exp = :exp",
        "#owner = :owner AND #gen = :gen",
        Map.of(
            ":exp", n(clock.instant().plus(ttl).toEpochMilli()),
            ":owner", s(lease.owner()),
            ":gen", n(lease.generation())));
  }

  @Override
  public void release(Lease lease, Instant freeFrom) {
    // The slot keeps its generation; without an owner, its expiry is when it is free again.
    updateIf(
        key(LEASE_PREFIX + lease.pool(), lease.slot()),
        "SET #exp = :free REMOVE #owner, " + NO_INTENT_ATTRIBUTES,
        "#owner = :owner AND #gen = :gen",
        Map.of(
            ":free",
            n(Math.max(0, freeFrom.toEpochMilli())),
            ":owner",
            s(lease.owner()),
            ":gen",
            n(lease.generation())));
  }

  @Override
  public List<Lease> holders(String pool) {
    long now = clock.instant().toEpochMilli();
    List<Lease> leases = new ArrayList<>();
    for (Map<String, AttributeValue> item : query(LEASE_PREFIX + pool)) {
      if (item.containsKey(OWNER) && number(item, EXPIRES_AT) >= now) {
        leases.add(lease(pool, item));
      }
    }
    leases.sort(Comparator.comparingInt(Lease::slot));
    return List.copyOf(leases);
  }

  @Override
  public Run beginRun(String task, String owner, Duration ttl) {
    Optional<Run> existing = run(task);
    if (existing.isEmpty()) {
      Run mine = new Run(task, owner, 1, RunState.RUNNING, clock.instant().plus(ttl));
      if (putIf(runItem(mine), "attribute_not_exists(#pool)", Map.of())) {
        return mine;
      }
      return run(task).orElseThrow(() -> gone(task));
    }
    Run run = existing.get();
    if (run.state().finished()) {
      return run;
    }
    if (run.owner().equals(owner)) {
      return renewRun(run, ttl)
          ? new Run(task, owner, run.generation(), RunState.RUNNING, clock.instant().plus(ttl))
          : run(task).orElseThrow(() -> gone(task));
    }
    long cutoff = clock.instant().minus(maxSkew).toEpochMilli();
    if (run.expiresAt().toEpochMilli() >= cutoff) {
      return run;
    }
    Run mine =
        new Run(task, owner, run.generation() + 1, RunState.RUNNING, clock.instant().plus(ttl));
    boolean won =
        putIf(
            runItem(mine),
            "#gen = :gen AND #state = :running AND #exp < :cutoff",
            Map.of(
                ":gen", n(run.generation()),
                ":running", s(RunState.RUNNING.name()),
                ":cutoff", n(cutoff)));
    return won ? mine : run(task).orElseThrow(() -> gone(task));
  }

  @Override
  public boolean renewRun(Run run, Duration ttl) {
    return updateIf(
        key(RUN_PREFIX + run.task(), 0),
        "SET #exp = :exp",
        "#owner = :owner AND #gen = :gen AND #state = :running",
        Map.of(
            ":exp", n(clock.instant().plus(ttl).toEpochMilli()),
            ":owner", s(run.owner()),
            ":gen", n(run.generation()),
            ":running", s(RunState.RUNNING.name())));
  }

  @Override
  public boolean finishRun(Run run, RunState result) {
    if (!result.finished()) {
      throw new IllegalArgumentException("a result is SUCCEEDED or FAILED, got " + result);
    }
    return updateIf(
        key(RUN_PREFIX + run.task(), 0),
        "SET #state = :result",
        "#owner = :owner AND #gen = :gen AND #state = :running",
        Map.of(
            ":result", s(result.name()),
            ":owner", s(run.owner()),
            ":gen", n(run.generation()),
            ":running", s(RunState.RUNNING.name())));
  }

  @Override
  public Optional<Run> run(String task) {
    Map<String, AttributeValue> item = consistentGet(RUN_PREFIX + task);
    if (item == null || item.isEmpty()) {
      return Optional.empty();
    }
    return Optional.of(
        new Run(
            task,
            item.containsKey(OWNER) ? item.get(OWNER).s() : "",
            number(item, GENERATION),
            RunState.valueOf(item.get(STATE).s()),
            Instant.ofEpochMilli(number(item, EXPIRES_AT))));
  }

  @Override
  public Optional<GroupSettings> sharedSettings(String pool, Instant notBefore) {
    // Eventually consistent (half a read unit): settings change rarely, and a stale copy only
    // shapes how long this host waits, never whether it may leave.
    Map<String, AttributeValue> item =
        call(
                "GetItem",
                () -> dynamo.getItem(b -> b.tableName(table).key(key(GROUP_PREFIX + pool, 0))))
            .item();
    if (item == null
        || item.isEmpty()
        || !item.containsKey(SHARED_AT)
        || number(item, SHARED_AT) < notBefore.toEpochMilli()) {
      return Optional.empty();
    }
    try {
      return Optional.of(
          new GroupSettings(
              Duration.ofMillis(number(item, DELAY_MS)),
              new TargetHealthCheck(
                  Duration.ofMillis(number(item, INTERVAL_MS)),
                  (int) number(item, HEALTHY_THRESHOLD))));
    } catch (InvalidValueException e) {
      // Written by hand or by another version: read the group itself.
      return Optional.empty();
    }
  }

  @Override
  public void shareSettings(String pool, GroupSettings settings) {
    Map<String, AttributeValue> item = new HashMap<>(key(GROUP_PREFIX + pool, 0));
    item.put(DELAY_MS, n(settings.deregistrationDelay().toMillis()));
    item.put(INTERVAL_MS, n(settings.healthCheck().interval().toMillis()));
    item.put(HEALTHY_THRESHOLD, n(settings.healthCheck().healthyThreshold()));
    item.put(SHARED_AT, n(clock.millis()));
    call("PutItem", () -> dynamo.putItem(b -> b.tableName(table).item(item)));
  }

  @Override
  public long censusMark(String pool) {
    Map<String, AttributeValue> counter = consistentGet(CENSUS_PREFIX + pool, COUNTER_SLOT);
    return counter == null || !counter.containsKey(RESERVED) ? 0 : number(counter, RESERVED);
  }

  @Override
  public Optional<List<FleetCoordinator.PeerTarget>> sharedCensus(
      String pool, long mark, Instant notBefore) {
    // Strongly consistent: the census stands in for a read of the group before leaving service.
    Map<String, AttributeValue> item = consistentGet(CENSUS_PREFIX + pool, 0);
    if (item == null || !item.containsKey(TARGETS)) {
      return Optional.empty();
    }
    boolean afterMark =
        mark != NO_CENSUS && item.containsKey(NUMBER) && number(item, NUMBER) > mark;
    boolean afterTime =
        item.containsKey(SHARED_AT)
            && number(item, SHARED_AT) > notBefore.plus(maxSkew).toEpochMilli();
    return afterMark || afterTime ? CensusText.parse(item.get(TARGETS).s()) : Optional.empty();
  }

  @Override
  public long reserveCensus(String pool) {
    // A compare-and-set on the counter, as the leases are (the local AWS endpoints answer no
    // ReturnValues); lost twice, a peer's read is under way and this host reads for itself.
    for (int attempt = 0; attempt < 2; attempt++) {
      long current = censusMark(pool);
      Map<String, AttributeValue> counter = key(CENSUS_PREFIX + pool, COUNTER_SLOT);
      boolean won =
          current == 0
              ? putIf(
                  Map.of(POOL, counter.get(POOL), SLOT, counter.get(SLOT), RESERVED, n(1)),
                  "attribute_not_exists(#pool)",
                  Map.of())
              : updateIf(
                  counter,
                  "SET #res = :next",
                  "#res = :cur",
                  Map.of(":next", n(current + 1), ":cur", n(current)));
      if (won) {
        return current + 1;
      }
    }
    return NO_CENSUS;
  }

  @Override
  public void shareCensus(String pool, long number, List<FleetCoordinator.PeerTarget> targets) {
    if (number == NO_CENSUS) {
      return;
    }
    Map<String, AttributeValue> item = new HashMap<>(key(CENSUS_PREFIX + pool, 0));
    item.put(TARGETS, s(CensusText.format(targets)));
    item.put(NUMBER, n(number));
    item.put(SHARED_AT, n(clock.millis()));
    // A peer's census from a later read may have landed first: it stays.
    putIf(item, "attribute_not_exists(#num) OR #num < :num", Map.of(":num", n(number)));
  }

  @Override
  public boolean sharesIntents() {
    return true;
  }

  @Override
  public long postIntent(Lease lease, TargetCall kind, TargetId target) {
    // Compared only with the numbers this lease's holder posted before: a caller that read an
    // older intent must not mark this one done. Milliseconds make them grow (a holder posts at
    // most a few a minute); the random part keeps two posts of the same millisecond apart.
    long number = clock.millis() * 1000 + random.nextInt(1000);
    Map<String, AttributeValue> values = new HashMap<>(ownerValues(lease));
    values.put(":kind", s(kind.name()));
    values.put(":target", s(target.instanceId() + " " + target.port()));
    values.put(":no", n(number));
    boolean posted =
        updateIf(
            key(LEASE_PREFIX + lease.pool(), lease.slot()),
            "SET #intent = :kind, #itarget = :target, #ino = :no REMOVE #idone",
            "#owner = :owner AND #gen = :gen",
            values);
    return posted ? number : NO_INTENT;
  }

  @Override
  public List<Intent> pendingIntents(String pool, TargetCall kind) {
    long now = clock.instant().toEpochMilli();
    List<Intent> pending = new ArrayList<>();
    for (Map<String, AttributeValue> item : query(LEASE_PREFIX + pool)) {
      if (!item.containsKey(OWNER)
          || number(item, EXPIRES_AT) < now
          || !item.containsKey(INTENT)
          || !kind.name().equals(item.get(INTENT).s())
          || !item.containsKey(INTENT_NUMBER)
          || number(item, INTENT_NUMBER) == number(item, INTENT_DONE)) {
        continue;
      }
      target(item)
          .ifPresent(
              t ->
                  pending.add(new Intent(lease(pool, item), kind, t, number(item, INTENT_NUMBER))));
    }
    return List.copyOf(pending);
  }

  @Override
  public void markDone(Intent intent) {
    Map<String, AttributeValue> values = new HashMap<>(ownerValues(intent.lease()));
    values.put(":no", n(intent.number()));
    updateIf(
        key(LEASE_PREFIX + intent.lease().pool(), intent.lease().slot()),
        "SET #idone = :no",
        "#owner = :owner AND #gen = :gen AND #ino = :no",
        values);
  }

  @Override
  public boolean settleIntent(Lease lease, long number) {
    Map<String, AttributeValue> values = new HashMap<>(ownerValues(lease));
    values.put(":no", n(number));
    boolean withdrawn =
        updateIf(
            key(LEASE_PREFIX + lease.pool(), lease.slot()),
            "REMOVE " + NO_INTENT_ATTRIBUTES,
            "#owner = :owner AND #gen = :gen AND #ino = :no AND attribute_not_exists(#idone)",
            values);
    if (withdrawn) {
      return false;
    }
    // Refused: a peer marked it done, or the lease moved on (then nothing was done for it).
    Map<String, AttributeValue> item = consistentGet(LEASE_PREFIX + lease.pool(), lease.slot());
    return item != null
        && item.containsKey(INTENT_DONE)
        && number(item, INTENT_NUMBER) == number
        && number(item, INTENT_DONE) == number;
  }

  @Override
  public void clearIntent(Lease lease) {
    updateIf(
        key(LEASE_PREFIX + lease.pool(), lease.slot()),
        "REMOVE " + NO_INTENT_ATTRIBUTES,
        "#owner = :owner AND #gen = :gen",
        ownerValues(lease));
  }

  private static Map<String, AttributeValue> ownerValues(Lease lease) {
    return Map.of(":owner", s(lease.owner()), ":gen", n(lease.generation()));
  }

  /** The target an intent names ({@code instanceId port}); empty when written by something else. */
  private static Optional<TargetId> target(Map<String, AttributeValue> item) {
    AttributeValue v = item.get(INTENT_TARGET);
    String[] parts = v == null || v.s() == null ? new String[0] : v.s().split(" ");
    if (parts.length != 2 || parts[0].isBlank()) {
      return Optional.empty();
    }
    try {
      return Optional.of(new TargetId(parts[0], Integer.parseInt(parts[1])));
    } catch (NumberFormatException e) {
      return Optional.empty();
    }
  }

  // ---- DynamoDB calls ------------------------------------------------------------------------

  /** The item {@code (pool, 0)}, strongly consistent; null when there is none. */
  private Map<String, AttributeValue> consistentGet(String pool) {
    return consistentGet(pool, 0);
  }

  /** The item {@code (pool, slot)}, strongly consistent; null when there is none. */
  private Map<String, AttributeValue> consistentGet(String pool, int slot) {
    return call(
            "GetItem",
            () -> dynamo.getItem(b -> b.tableName(table).key(key(pool, slot)).consistentRead(true)))
        .item();
  }

  /** Every item of a partition, every page, strongly consistent. */
  private List<Map<String, AttributeValue>> query(String pool) {
    List<Map<String, AttributeValue>> items = new ArrayList<>();
    Map<String, AttributeValue> startKey = null;
    do {
      Map<String, AttributeValue> from = startKey;
      QueryResponse response =
          call(
              "Query",
              () ->
                  dynamo.query(
                      b ->
                          b.tableName(table)
                              .keyConditionExpression("#pool = :pool")
                              .expressionAttributeNames(Map.of("#pool", POOL))
                              .expressionAttributeValues(Map.of(":pool", s(pool)))
                              .consistentRead(true)
                              .exclusiveStartKey(from)));
      items.addAll(response.items());
      startKey = response.hasLastEvaluatedKey() ? response.lastEvaluatedKey() : null;
    } while (startKey != null && !startKey.isEmpty());
    return items;
  }

  /** A conditional {@code PutItem}; false when the condition did not hold. */
  private boolean putIf(
      Map<String, AttributeValue> item, String condition, Map<String, AttributeValue> values) {
    try {
      call(
          "PutItem",
          () ->
              dynamo.putItem(
                  b -> {
                    b.tableName(table)
                        .item(item)
                        .conditionExpression(condition)
                        .expressionAttributeNames(namesIn(condition));
                    if (!values.isEmpty()) {
                      b.expressionAttributeValues(values);
                    }
                  }));
      return true;
    } catch (LostRace e) {
      return false;
    }
  }

  /** A conditional {@code UpdateItem}; false when the condition did not hold. */
  private boolean updateIf(
      Map<String, AttributeValue> key,
      String update,
      String condition,
      Map<String, AttributeValue> values) {
    try {
      call(
          "UpdateItem",
          () ->
              dynamo.updateItem(
                  b ->
                      b.tableName(table)
                          .key(key)
                          .updateExpression(update)
                          .conditionExpression(condition)
                          .expressionAttributeNames(namesIn(update + " " + condition))
                          .expressionAttributeValues(values)));
      return true;
    } catch (LostRace e) {
      return false;
    }
  }

  /** A condition that did not hold: an answer, not a failure. */
  private static final class LostRace extends RuntimeException {
    private static final long serialVersionUID = 1L;

    LostRace() {
      super(null, null, false, false);
    }
  }

  private <T> T call(String operation, Supplier<T> request) {
    try {
      T response = request.get();
      listener.onSuccess("dynamodb", operation);
      return response;
    } catch (ConditionalCheckFailedException e) {
      listener.onSuccess("dynamodb", operation);
      throw new LostRace();
    } catch (SdkException e) {
      listener.onError("dynamodb", operation, AwsErrors.code(e));
      String hint =
          e instanceof ResourceNotFoundException
              ? " (create the table as docs/install.md shows, or fix agent.fleet.leaseTable)"
              : "";
      throw new FleetCoordinationException(
          AwsErrors.failed("DynamoDB", operation, "table " + table, e) + hint,
          AwsErrors.throttled(e),
          e);
    }
  }

  // ---- items ---------------------------------------------------------------------------------

  /**
   * Whether the slot cannot be taken now: held by an owner whose lease has not expired (by more
   * than the skew: {@code cutoff}), or released and resting until a time still to come ({@code
   * nowMs}).
   */
  private static boolean takenAt(Map<String, AttributeValue> item, long nowMs, long cutoff) {
    long expiresAt = number(item, EXPIRES_AT);
    return item.containsKey(OWNER) ? expiresAt >= cutoff : expiresAt > nowMs;
  }

  private static Lease lease(String pool, Map<String, AttributeValue> item) {
    return new Lease(
        pool,
        Integer.parseInt(item.get(SLOT).n()),
        item.get(OWNER).s(),
        number(item, GENERATION),
        Instant.ofEpochMilli(number(item, EXPIRES_AT)));
  }

  private static Map<String, AttributeValue> runItem(Run run) {
    Map<String, AttributeValue> item = new HashMap<>(key(RUN_PREFIX + run.task(), 0));
    item.put(OWNER, s(run.owner()));
    item.put(GENERATION, n(run.generation()));
    item.put(STATE, s(run.state().name()));
    item.put(EXPIRES_AT, n(run.expiresAt().toEpochMilli()));
    return item;
  }

  private IllegalStateException gone(String task) {
    return new IllegalStateException(
        "the record of task " + task + " in table " + table + " vanished while it was written");
  }

  private static Map<String, AttributeValue> key(String pool, int slot) {
    return Map.of(POOL, s(pool), SLOT, n(slot));
  }

  /** The {@code #name} placeholders an expression uses (DynamoDB rejects unused ones). */
  private static Map<String, String> namesIn(String expression) {
    Map<String, String> used = new HashMap<>();
    NAMES.forEach(
        (placeholder, name) -> {
          if (expression.contains(placeholder)) {
            used.put(placeholder, name);
          }
        });
    return used;
  }

  private static long number(Map<String, AttributeValue> item, String name) {
    AttributeValue v = item.get(name);
    return v == null || v.n() == null ? 0 : Long.parseLong(v.n());
  }

  private static AttributeValue s(String value) {
    return AttributeValue.fromS(value);
  }

  private static AttributeValue n(long value) {
    return AttributeValue.fromN(Long.toString(value));
  }
}
