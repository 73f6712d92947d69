package dev.driftguard.packaging;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The evaluator against the rules the IAM User Guide states for each operator it knows. */
class PolicyEvaluatorTest {
  private static final PolicyEvaluator.Request NO_CONTEXT =
      new PolicyEvaluator.Request("ec2:CreateTags", "arn:x", Map.of());

  private static boolean holds(String operator, List<String> actual, String... expected) {
    return PolicyEvaluator.holds(operator, actual, List.of(expected), NO_CONTEXT);
  }

  @Test
  void forAllValues_isTrueForAnAbsentOrEmptyKey() {
    assertThat(holds("ForAllValues:StringLike", null, "driftguard:*")).isTrue();
    assertThat(holds("ForAllValues:StringLike", List.of(), "driftguard:*")).isTrue();
  }

  @Test
  void forAllValues_needsEveryRequestValueToMatch() {
    assertThat(
            holds(
                "ForAllValues:StringLike", List.of("driftguard:a", "driftguard:b"), "driftguard:*"))
        .isTrue();
    assertThat(holds("ForAllValues:StringLike", List.of("driftguard:a", "Name"), "driftguard:*"))
        .isFalse();
  }

  @Test
  void forAnyValue_needsOneMatchingValue_andIsFalseForAnAbsentKey() {
    assertThat(holds("ForAnyValue:StringEquals", List.of("a", "b"), "b")).isTrue();
    assertThat(holds("ForAnyValue:StringEquals", List.of("a"), "b")).isFalse();
    assertThat(holds("ForAnyValue:StringEquals", null, "b")).isFalse();
  }

  @Test
  void null_isTrueForAbsentKeys_falseForPresentOnes() {
    assertThat(holds("Null", null, "true")).isTrue();
    assertThat(holds("Null", null, "false")).isFalse();
    assertThat(holds("Null", List.of("k"), "false")).isTrue();
    assertThat(holds("Null", List.of("k"), "true")).isFalse();
  }

  @Test
  void stringOperators_areFalseForAnAbsentKey_unlessIfExists() {
    assertThat(holds("StringEquals", null, "x")).isFalse();
    assertThat(holds("StringEqualsIfExists", null, "x")).isTrue();
    assertThat(holds("StringEqualsIfExists", List.of("y"), "x")).isFalse();
  }

  @Test
  void stringLike_matchesWildcards_caseSensitively() {
    assertThat(holds("StringLike", List.of("driftguard:web:phase"), "driftguard:*")).isTrue();
    assertThat(holds("StringLike", List.of("Driftguard:web"), "driftguard:*")).isFalse();
    assertThat(holds("StringLike", List.of("ab"), "a?")).isTrue();
    assertThat(holds("StringLike", List.of("abc"), "a?")).isFalse();
  }

  @Test
  void negatedOperators_areTrueWhenNoValueMatches() {
    assertThat(holds("StringNotEquals", List.of("a"), "b", "c")).isTrue();
    assertThat(holds("StringNotEquals", List.of("b"), "b", "c")).isFalse();
    assertThat(holds("ForAllValues:StringNotLike", List.of("x", "y"), "z*")).isTrue();
  }

  @Test
  void policyVariables_resolveFromTheRequest_andMatchNothingWhenAbsent() {
    PolicyEvaluator.Request request =
        new PolicyEvaluator.Request(
            "ec2:CreateTags", "arn:i-1", Map.of("ec2:SourceInstanceARN", List.of("arn:i-1")));
    assertThat(
            PolicyEvaluator.holds(
                "StringEquals", List.of("arn:i-1"), List.of("${ec2:SourceInstanceARN}"), request))
        .isTrue();
    assertThat(
            PolicyEvaluator.holds(
                "StringEquals",
                List.of("arn:i-1"),
                List.of("${ec2:SourceInstanceARN}"),
                NO_CONTEXT))
        .isFalse();
  }

  @Test
  void allows_matchesActionCaseInsensitively_andResourceWithWildcards() throws Exception {
    JsonNode statement =
        new ObjectMapper()
            .readTree(
                """
                {"Effect": "Allow", "Action": ["ssm:GetParameters"],
                 "Resource": "arn:aws:ssm:us-east-1:1:parameter/driftguard/web/*"}
                """);
    assertThat(
            PolicyEvaluator.allows(
                statement,
                new PolicyEvaluator.Request(
                    "SSM:getparameters",
                    "arn:aws:ssm:us-east-1:1:parameter/driftguard/web/image",
                    Map.of())))
        .isTrue();
    assertThat(
            PolicyEvaluator.allows(
                statement,
                new PolicyEvaluator.Request(
                    "ssm:GetParameters",
                    "arn:aws:ssm:us-east-1:1:parameter/driftguard/api/image",
                    Map.of())))
        .isFalse();
  }

  @Test
  void unknownOperator_failsInsteadOfGuessing() {
    assertThatThrownBy(() -> holds("NumericLessThan", List.of("1"), "2"))
        .isInstanceOf(AssertionError.class)
        .hasMessageContaining("NumericLessThan");
  }
}
