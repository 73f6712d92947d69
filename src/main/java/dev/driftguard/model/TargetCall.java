package dev.driftguard.model;

/**
 * The two calls a deploy makes on its target in a load balancer. ELBv2 serves both from one bucket
 * of the account (RegisterTargets and DeregisterTargets, 4 calls a second), and each call takes
 * many targets.
 */
public enum TargetCall {
  DEREGISTER,
  REGISTER
}
