/**
 * The operator's commands: {@code driftguard status}, {@code pin} and {@code rollout-status}.
 *
 * <p>{@code pin} and {@code rollout-status} run on an operator's machine or in a CI pipeline, not
 * on a host, so their AWS calls are granted by {@code
 * packaging/iam/driftguard-operator-policy.json} rather than the instance role; {@code
 * IamPolicyTest} tells the two apart by this package. Keep every operator-side AWS call here.
 *
 * <p>Each external system sits behind a small interface of our own ({@link
 * dev.driftguard.operator.ParameterStore}, {@link dev.driftguard.operator.ImageCatalog}, {@link
 * dev.driftguard.operator.FleetState}); what the commands decide and print is pure and tested
 * without I/O ({@link dev.driftguard.operator.PinValue}, {@link
 * dev.driftguard.operator.RolloutSummary}, {@link dev.driftguard.operator.StatusReport}). The
 * package imports {@code model} and {@code config} only (docs/architecture.md); {@code cli.Main}
 * hands in the SDK clients ({@link dev.driftguard.operator.AwsAccess}) and turns a {@link
 * dev.driftguard.operator.Result} into the exit code.
 */
package dev.driftguard.operator;
