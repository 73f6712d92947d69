package dev.driftguard.packaging;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The shipped IAM policies grant exactly what the code calls.
 *
 * <p>The AWS actions are read from the compiled classes, not from a list someone keeps: every
 * reference in a class file's constant pool to a method of an AWS SDK v2 service client ({@code
 * software/amazon/awssdk/services/<service>/<Name>Client}) or waiter is one action (method {@code
 * getParameters} of {@code SsmClient} is {@code ssm:GetParameters}). A new SDK call therefore fails
 * this test until the policy grants it, and a grant nothing calls fails it too.
 *
 * <p>Which policy: classes under {@code dev.driftguard.operator} run on an operator's machine
 * ({@code pin}, {@code rollout-status}) and are checked against {@code
 * driftguard-operator-policy.json}; every other class runs on hosts and is checked against the
 * instance role's {@code driftguard-policy.json}.
 */
class IamPolicyTest {
  private static final String OPERATOR_PACKAGE = "dev/driftguard/operator/";

  /** SDK service package -> IAM service prefix. */
  private static final Map<String, String> IAM_PREFIX =
      Map.of(
          "ssm", "ssm",
          "ecr", "ecr",
          "ec2", "ec2",
          "elasticloadbalancingv2", "elasticloadbalancing",
          "kms", "kms",
          "sts", "sts",
          "autoscaling", "autoscaling",
          "dynamodb", "dynamodb");

  /** Waiter methods -> the action the waiter polls. */
  private static final Map<String, String> WAITER_ACTIONS =
      Map.of(
          "elasticloadbalancing:WaitUntilTargetDeregistered",
              "elasticloadbalancing:DescribeTargetHealth",
          "elasticloadbalancing:WaitUntilTargetInService",
              "elasticloadbalancing:DescribeTargetHealth",
          "ec2:WaitUntilInstanceRunning", "ec2:DescribeInstances",
          "ec2:WaitUntilInstanceExists", "ec2:DescribeInstances");

  /** Client methods that are no AWS call. */
  private static final Set<String> NOT_CALLS =
      Set.of(
          "close",
          "serviceName",
          "serviceClientConfiguration",
          "utilities",
          "waiter",
          "builder",
          "create",
          "toString",
          "hashCode",
          "equals",
          "getClass",
          "<init>");

  /**
   * Granted without a direct SDK call in our code, each with the reason. Changing this map needs
   * the same review as changing the policy.
   */
  private static final Map<String, String> AGENT_IMPLIED =
      Map.of(
          "kms:Decrypt", "ssm:GetParameters WithDecryption=true decrypts SecureString env with KMS",
          "ecr:BatchCheckLayerAvailability", "dockerd pulls with the ECR token the agent hands it",
          "ecr:BatchGetImage", "dockerd pulls with the ECR token the agent hands it",
          "ecr:GetDownloadUrlForLayer", "dockerd pulls with the ECR token the agent hands it");

  /**
   * Granted ahead of the adapters that will call them. Remove an entry when its adapter lands: the
   * test fails while an action is both called and listed here, so this list can only shrink. Empty:
   * fleet coordination reads peers with DescribeTags, so DescribeInstances went (issue 8).
   */
  private static final Set<String> AGENT_PLANNED = Set.of();

  /**
   * Operator actions granted ahead of the code that will call them; same rule as AGENT_PLANNED.
   * Empty since pin and rollout-status landed.
   */
  private static final Set<String> OPERATOR_PLANNED = Set.of();

  /** Operator actions granted for documented steps that run the AWS CLI, not our code. */
  private static final Map<String, String> OPERATOR_IMPLIED =
      Map.of(
          "ssm:GetParameterHistory",
          "docs/install.md, Roll back: aws ssm get-parameter-history lists the previous pins");

  /** Actions AWS authorizes only on "*" (no resource-level permissions). */
  private static final Set<String> STAR_ONLY =
      Set.of(
          "ecr:GetAuthorizationToken",
          "ec2:DescribeInstances",
          "ec2:DescribeTags",
          "elasticloadbalancing:DescribeTargetHealth",
          "elasticloadbalancing:DescribeTargetGroupAttributes",
          "elasticloadbalancing:DescribeTargetGroups");

  private static final ObjectMapper json = new ObjectMapper();

  @Test
  void agentPolicy_grantsExactlyWhatHostCodeCalls() throws IOException {
    Set<String> called = calledActions(false).keySet();
    assertPolicyMatches("driftguard-policy.json", called, AGENT_IMPLIED.keySet(), AGENT_PLANNED);
  }

  @Test
  void operatorPolicy_grantsExactlyWhatOperatorCodeCalls() throws IOException {
    Set<String> called = calledActions(true).keySet();
    assertPolicyMatches(
        "driftguard-operator-policy.json", called, OPERATOR_IMPLIED.keySet(), OPERATOR_PLANNED);
  }

  /** Our own instance's ARN and a peer's, as IAM puts them in the request context. */
  private static final String SELF =
      "arn:aws:ec2:us-east-1:123456789012:instance/i-0aaaaaaaaaaaaaaaa";

  private static final String PEER =
      "arn:aws:ec2:us-east-1:123456789012:instance/i-0bbbbbbbbbbbbbbbb";

  @Test
  void tagStatement_deleteTagsWithoutKeys_isDenied() throws IOException {
    // DeleteTags without Tags deletes every tag of the instance, Name included. The agent no
    // longer deletes tags at all (turns are leases, not claim tags), so DeleteTags is not granted.
    JsonNode statement = tagStatement();
    assertThat(PolicyEvaluator.allows(statement, tagRequest("ec2:DeleteTags", SELF, null)))
        .isFalse();
    assertThat(
            PolicyEvaluator.allows(
                statement, tagRequest("ec2:DeleteTags", SELF, List.of("driftguard:x"))))
        .isFalse();
    // A request with no aws:TagKeys makes ForAllValues vacuously true; the Null guard denies it.
    assertThat(PolicyEvaluator.allows(statement, tagRequest("ec2:CreateTags", SELF, null)))
        .isFalse();
    assertThat(
            PolicyEvaluator.allows(
                withoutNullGuard(statement), tagRequest("ec2:CreateTags", SELF, null)))
        .as("without the Null guard the same request is allowed: the guard is what denies it")
        .isTrue();
  }

  @Test
  void tagStatement_driftguardKeysOnItsOwnInstance_areAllowed() throws IOException {
    JsonNode statement = tagStatement();
    for (String action : List.of("ec2:CreateTags")) {
      assertThat(
              PolicyEvaluator.allows(
                  statement,
                  tagRequest(
                      action,
                      SELF,
                      List.of("driftguard:web_staging:digest", "driftguard:web_staging:phase"))))
          .as(action)
          .isTrue();
    }
  }

  @Test
  void tagStatement_otherKeysPeersAndForeignCredentials_areDenied() throws IOException {
    JsonNode statement = tagStatement();
    Map<String, PolicyEvaluator.Request> denied =
        Map.of(
            "Name on itself",
            tagRequest("ec2:CreateTags", SELF, List.of("Name")),
            "a driftguard key together with Name",
            tagRequest("ec2:CreateTags", SELF, List.of("driftguard:web_staging:digest", "Name")),
            "an empty key list",
            tagRequest("ec2:CreateTags", SELF, List.of()),
            "a peer's instance",
            new PolicyEvaluator.Request(
                "ec2:CreateTags",
                PEER,
                Map.of(
                    "aws:ARN", List.of(PEER),
                    "ec2:SourceInstanceARN", List.of(SELF),
                    "aws:TagKeys", List.of("driftguard:web_staging:digest"))),
            "credentials used off the instance (no ec2:SourceInstanceARN)",
            new PolicyEvaluator.Request(
                "ec2:CreateTags",
                SELF,
                Map.of("aws:ARN", List.of(SELF), "aws:TagKeys", List.of("driftguard:x"))),
            "another action",
            tagRequest("ec2:CreateVolume", SELF, List.of("driftguard:x")));
    denied.forEach(
        (why, request) -> assertThat(PolicyEvaluator.allows(statement, request)).as(why).isFalse());
  }

  private static JsonNode tagStatement() throws IOException {
    for (JsonNode statement :
        json.readTree(policyFile("driftguard-policy.json").toFile()).path("Statement")) {
      if (strings(statement.path("Action")).contains("ec2:CreateTags")) {
        // The placeholders as the install guide's sed fills them in.
        return json.readTree(
            statement
                .toString()
                .replace("REGION", "us-east-1")
                .replace("ACCOUNT_ID", "123456789012"));
      }
    }
    throw new AssertionError("no statement grants ec2:DeleteTags");
  }

  private static JsonNode withoutNullGuard(JsonNode statement) {
    ObjectNode copy = statement.deepCopy();
    ((ObjectNode) copy.path("Condition")).remove("Null");
    return copy;
  }

  /** A tagging request on {@code instance} signed by SELF's role; null keys: no Tags at all. */
  private static PolicyEvaluator.Request tagRequest(
      String action, String instance, List<String> keys) {
    Map<String, List<String>> context = new HashMap<>();
    context.put("aws:ARN", List.of(instance));
    context.put("ec2:SourceInstanceARN", List.of(SELF));
    if (keys != null) {
      context.put("aws:TagKeys", keys);
    }
    return new PolicyEvaluator.Request(action, instance, context);
  }

  @Test
  void policies_areValidAndLeastPrivilege() throws IOException {
    for (String name : new String[] {"driftguard-policy.json", "driftguard-operator-policy.json"}) {
      JsonNode policy = json.readTree(policyFile(name).toFile());
      assertThat(policy.path("Version").asText()).as(name + " Version").isEqualTo("2012-10-17");
      assertThat(policy.path("Statement").isArray()).as(name + " Statement is a list").isTrue();
      Set<String> sids = new HashSet<>();
      for (JsonNode statement : policy.path("Statement")) {
        String sid = statement.path("Sid").asText();
        assertThat(sids.add(sid)).as(name + ": unique, non-empty Sid " + sid).isTrue();
        assertThat(sid).as(name + " Sid").matches("[A-Za-z0-9]+");
        assertThat(statement.path("Effect").asText()).as(name + " " + sid).isEqualTo("Allow");
        assertThat(statement.has("NotAction") || statement.has("NotResource"))
            .as(name + " " + sid + " uses NotAction/NotResource")
            .isFalse();
        Set<String> actions = strings(statement.path("Action"));
        assertThat(actions).as(name + " " + sid + " actions").isNotEmpty();
        assertThat(actions)
            .as(name + " " + sid + ": no wildcard actions")
            .noneMatch(a -> a.contains("*"));
        Set<String> resources = strings(statement.path("Resource"));
        assertThat(resources).as(name + " " + sid + " resources").isNotEmpty();
        if (resources.contains("*")) {
          assertThat(STAR_ONLY)
              .as(name + " " + sid + ": Resource \"*\" only for actions AWS cannot scope")
              .containsAll(actions);
        }
      }
    }
  }

  private static void assertPolicyMatches(
      String file, Set<String> called, Set<String> implied, Set<String> planned)
      throws IOException {
    Set<String> granted = grantedActions(file);
    Set<String> missing = new TreeSet<>(called);
    missing.removeAll(granted);
    assertThat(missing).as("actions the code calls but " + file + " does not grant").isEmpty();

    Set<String> unused = new TreeSet<>(granted);
    unused.removeAll(called);
    unused.removeAll(implied);
    unused.removeAll(planned);
    assertThat(unused).as("actions " + file + " grants but no code calls").isEmpty();

    Set<String> landed = new TreeSet<>(planned);
    landed.retainAll(called);
    assertThat(landed)
        .as("actions now called by the code: remove them from the PLANNED list in IamPolicyTest")
        .isEmpty();
    assertThat(granted).as(file + " grants every planned/implied action").containsAll(planned);
    assertThat(granted).containsAll(implied);
  }

  private static Set<String> grantedActions(String file) throws IOException {
    Set<String> actions = new TreeSet<>();
    for (JsonNode statement : json.readTree(policyFile(file).toFile()).path("Statement")) {
      actions.addAll(strings(statement.path("Action")));
    }
    return actions;
  }

  private static Set<String> strings(JsonNode node) {
    Set<String> out = new TreeSet<>();
    if (node.isTextual()) {
      out.add(node.asText());
    } else {
      node.forEach(n -> out.add(n.asText()));
    }
    return out;
  }

  private static Path policyFile(String name) {
    Path repo = Path.of(System.getProperty("user.dir"));
    return repo.resolve("packaging/iam").resolve(name);
  }

  /** AWS actions referenced by main classes (operator classes or host classes) -> a class. */
  static Map<String, String> calledActions(boolean operator) throws IOException {
    Path classes = mainClasses();
    Map<String, String> actions = new TreeMap<>();
    try (Stream<Path> files = Files.walk(classes)) {
      for (Path file :
          (Iterable<Path>) files.filter(f -> f.toString().endsWith(".class"))::iterator) {
        String className = classes.relativize(file).toString().replace('\\', '/');
        if (className.startsWith(OPERATOR_PACKAGE) != operator) {
          continue;
        }
        try (InputStream in = Files.newInputStream(file)) {
          for (String action : ConstantPool.awsActions(in)) {
            actions.putIfAbsent(action, className);
          }
        }
      }
    }
    return actions;
  }

  private static Path mainClasses() {
    try {
      // The folder holding the agent's Main.class: target/classes (or <buildDir>/classes).
      Path main =
          Path.of(
              Class.forName("dev.driftguard.cli.Main")
                  .getProtectionDomain()
                  .getCodeSource()
                  .getLocation()
                  .toURI());
      assertThat(main).as("main classes folder").isDirectory();
      return main;
    } catch (ClassNotFoundException | URISyntaxException e) {
      throw new IllegalStateException("cannot find the main classes", e);
    }
  }

  /** Reads a class file's constant pool: just enough of JVMS 4.4 for method references. */
  static final class ConstantPool {
    private ConstantPool() {}

    static Set<String> awsActions(InputStream stream) throws IOException {
      DataInputStream in = new DataInputStream(stream);
      if (in.readInt() != 0xCAFEBABE) {
        throw new IOException("not a class file");
      }
      in.readUnsignedShort();
      in.readUnsignedShort();
      int count = in.readUnsignedShort();
      String[] utf8 = new String[count];
      int[] classNameIndex = new int[count];
      int[][] memberRef = new int[count][];
      int[][] nameAndType = new int[count][];
      for (int i = 1; i < count; i++) {
        int tag = in.readUnsignedByte();
        switch (tag) {
          case 1 -> utf8[i] = in.readUTF();
          case 7 -> classNameIndex[i] = in.readUnsignedShort();
          case 8, 16, 19, 20 -> in.readUnsignedShort();
          case 3, 4 -> in.readInt();
          case 5, 6 -> {
            in.readLong();
            i++;
          }
          case 9, 10, 11 ->
              memberRef[i] = new int[] {tag, in.readUnsignedShort(), in.readUnsignedShort()};
          case 12 -> nameAndType[i] = new int[] {in.readUnsignedShort(), in.readUnsignedShort()};
          case 15 -> {
            in.readUnsignedByte();
            in.readUnsignedShort();
          }
          case 17, 18 -> {
            in.readUnsignedShort();
            in.readUnsignedShort();
          }
          default -> throw new IOException("unknown constant pool tag " + tag);
        }
      }
      Set<String> actions = new TreeSet<>();
      for (int[] ref : memberRef) {
        if (ref == null || ref[0] == 9) {
          continue;
        }
        String owner = utf8[classNameIndex[ref[1]]];
        String method = utf8[nameAndType[ref[2]][0]];
        String action = action(owner, method);
        if (action != null) {
          actions.add(action);
        }
      }
      return actions;
    }

    /** {@code software/amazon/awssdk/services/ssm/SsmClient.getParameters} -> ssm:GetParameters. */
    static String action(String owner, String method) {
      String prefix = "software/amazon/awssdk/services/";
      if (!owner.startsWith(prefix) || NOT_CALLS.contains(method)) {
        return null;
      }
      String[] parts = owner.substring(prefix.length()).split("/");
      String simple = parts[parts.length - 1];
      boolean client = parts.length == 2 && (simple.endsWith("Client"));
      boolean waiter = parts.length == 3 && parts[1].equals("waiters") && simple.endsWith("Waiter");
      if (!client && !waiter) {
        return null; // model classes, builders, exceptions
      }
      String service = IAM_PREFIX.get(parts[0]);
      if (service == null) {
        throw new AssertionError(
            "the code calls AWS service '"
                + parts[0]
                + "' ("
                + owner
                + "."
                + method
                + "); add its IAM prefix to IamPolicyTest.IAM_PREFIX and its actions to the"
                + " policy");
      }
      String operation =
          method.endsWith("Paginator") ? method.substring(0, method.length() - 9) : method;
      String action =
          service + ":" + Character.toUpperCase(operation.charAt(0)) + operation.substring(1);
      if (waiter) {
        String polled = WAITER_ACTIONS.get(action);
        if (polled == null) {
          throw new AssertionError(
              "unknown waiter "
                  + owner
                  + "."
                  + method
                  + "; add the action it polls to IamPolicyTest.WAITER_ACTIONS");
        }
        return polled;
      }
      return action;
    }
  }
}
