/**
 * A local AWS endpoint for tests ({@link dev.driftguard.testing.aws.LocalAws}): the JDK's HTTP
 * server on 127.0.0.1 speaking the protocols the AWS SDK sends, so the agent's real SDK clients run
 * against it through {@code agent.aws.endpoints}. SSM and ECR speak JSON 1.1; EC2, ELBv2 and Auto
 * Scaling the query protocol with XML answers (routed by SigV4 signing name {@code ec2} / {@code
 * elasticloadbalancing} / {@code autoscaling}); IMDSv2 is one small server per instance.
 *
 * <p><b>In a test:</b>
 *
 * <pre>{@code
 * try (LocalAws aws = LocalAws.builder().registryPasswordFromTestEnv().start();
 *     AwsClients clients = aws.newClients(instanceId)) {   // imds -> that instance's server
 *   aws.addInstance(instanceId, Map.of("Name", "web_staging"));   // before newClients(id)
 *   String arn = aws.createTargetGroup("web", "/healthz", 2, 2,
 *       Duration.ofMillis(300), Duration.ofSeconds(2));    // interval, deregistration delay
 *   int lb = aws.proxyPort(arn);                           // http://127.0.0.1:lb/ -> healthy targets
 *   aws.ssm().put("/driftguard/web_staging/image", image);
 *   aws.ecr().registerTestEnvImages();                     // tags v1, v2, unhealthy, crash
 *   aws.imds(instanceId).spotInterruption("terminate", Instant.now().plusSeconds(120));
 *   ...
 *   assertThat(TargetGroup.maxHostsOutOfService(aws.timeline(arn))).isLessThanOrEqualTo(1);
 * }
 * }</pre>
 *
 * <p><b>Java API.</b> {@code LocalAws}: {@code newClients()}, {@code newClients(instanceId)},
 * {@code endpoints()}, {@code ssm()}, {@code ecr()}, {@code ec2()}, {@code elbv2()}, {@code
 * addInstance(id, tags)}, {@code createTargetGroup(name, path, healthy, unhealthy, interval,
 * delay)}, {@code targetGroup(arn)}, {@code proxyPort(arn)}, {@code timeline(arn)}, {@code
 * imds(instanceId)}, call counts ({@code calls}) and injected faults ({@code inject(FaultRule)},
 * {@code faults()}, {@code clearFaults()}, and the shorthands {@code throttleNext}, {@code
 * failNext}): {@link dev.driftguard.testing.aws.FaultRule} throttles with each service's real code
 * (SSM and ECR {@code ThrottlingException}, ELBv2 {@code Throttling}, EC2 {@code
 * RequestLimitExceeded}, IMDS 429), fails with 5xx or adds latency, for the next N calls, a seeded
 * fraction of them or a time window. {@link dev.driftguard.testing.aws.Ec2Service}: {@code
 * addInstance}, {@code newInstanceId()}, {@code tags(id)}, {@code putTags}. {@link
 * dev.driftguard.testing.aws.Elbv2Service}: {@code createTargetGroup(TargetGroupConfig)}. {@link
 * dev.driftguard.testing.aws.TargetGroup}: {@code health()}, {@code awaitState(target, state,
 * timeout)}, {@code timeline()}, {@code requestsRouted(target)}, {@code deregistrationDelay(d)},
 * static {@code maxHostsOutOfService} and {@code longestOutOfService}. {@link
 * dev.driftguard.testing.aws.ImdsServer}: {@code endpoint()}, {@code instanceMetadataTags(on)},
 * {@code spotInterruption(action, time)}, {@code targetLifecycleState(state)}. {@link
 * dev.driftguard.testing.aws.EcrService}: {@code putImage(repository, tag, digest)}, {@code
 * registerTestEnvImages()}, {@code digestOf}, {@code registryPassword(region, password)}, {@code
 * tokenRegions()} (tokens are per signing region). {@link
 * dev.driftguard.testing.aws.AutoScalingService} ({@code SetInstanceHealth}): {@code
 * createGroup(name, gracePeriod)}, {@code attachInstance(group, id)}, {@code health(id)}.
 *
 * <p><b>Where it differs from AWS, on purpose:</b> health-check intervals and deregistration delays
 * may be sub-second (the API reports them rounded up to whole seconds); a new target needs {@code
 * healthyThreshold} passes to leave {@code initial} (today's ALB docs say one); a draining target
 * drains for the full delay even when idle; the proxy answers 503 when no target is healthy (an ALB
 * fails open when all are unhealthy); every instance is at 127.0.0.1; signatures are not checked;
 * list operations answer in one page.
 *
 * <p><b>As a process</b> (end-to-end tests whose agents are processes), from the work tree:
 *
 * <pre>
 * mvn -q test-compile dependency:build-classpath -Dmdep.outputFile=target/cp.txt
 * java -cp target/test-classes:target/classes:$(cat target/cp.txt) \
 *     dev.driftguard.testing.aws.LocalAws --port-file /tmp/local-aws.port
 * </pre>
 *
 * It prints {@code local-aws listening on http://127.0.0.1:PORT}, writes the port file once it
 * listens, takes the registry password from {@code /var/tmp/driftguard-testenv/env.properties} when
 * present and registers that environment's images in ECR, and stops on SIGTERM.
 *
 * <p><b>Control API</b> on the same port, query parameters in, JSON out, writes are {@code POST}:
 *
 * <ul>
 *   <li>{@code GET /_localaws/health}, {@code GET /_localaws/calls}, {@code POST
 *       /_localaws/reset-calls};
 *   <li>{@code POST /_localaws/faults?service=ssm&operation=GetParameters&kind=throttle&count=3} →
 *       {@code {"id", "rule"}}: {@code kind} is {@code throttle}, {@code unavailable}, {@code
 *       internal}, {@code latency} (with {@code latencyMillis}) or {@code error} (with {@code
 *       code}, optional {@code status}, {@code message}; a {@code code} alone means {@code error});
 *       which calls: any of {@code served} (first N served), {@code count}, {@code rate} and {@code
 *       seed}, {@code forMillis} (from now), {@code fromEpochMillis} and {@code untilEpochMillis};
 *       {@code GET /_localaws/faults} → {@code {"faults":[{id, rule, hits}]}}; {@code DELETE
 *       /_localaws/faults} (optional {@code id});
 *   <li>{@code POST /_localaws/instances?id=i-...&az=us-east-1b&tag.Name=web_staging} (id optional)
 *       → {@code {"instanceId"}}; {@code GET /_localaws/instances} → ids and tags; {@code GET|POST
 *       /_localaws/tags?instanceId=..&tag.K=V} → {@code {"tags"}};
 *   <li>{@code POST
 *       /_localaws/target-groups?name=web&path=/healthz&port=80&healthyThreshold=2&unhealthyThreshold=2&intervalMillis=500&timeoutMillis=250&deregistrationDelayMillis=2000}
 *       → {@code {"arn", "proxyPort"}}; {@code GET /_localaws/proxy-port?arn=..}; {@code GET
 *       /_localaws/target-health?arn=..} → {@code {"targets":[{instanceId, port, state, reason}]}};
 *       {@code GET /_localaws/timeline?arn=..} → {@code {"changes":[{at, epochMillis, instanceId,
 *       port, from, to, reason}], "maxHostsOutOfService", "longestOutOfServiceMillis"}};
 *   <li>{@code POST /_localaws/imds?instanceId=..} → {@code {"port", "endpoint"}}; {@code POST
 *       /_localaws/spot-notice?instanceId=..&action=terminate&time=2030-01-01T00:02:00Z} (or {@code
 *       clear=true}); {@code POST /_localaws/lifecycle-state?instanceId=..&state=Terminated};
 *       {@code POST /_localaws/metadata-tags?instanceId=..&enabled=false};
 *   <li>{@code POST /_localaws/ssm-parameters?name=..&value=..&secure=false} → {@code {"version"}};
 *       {@code POST /_localaws/ecr-images?repository=driftguard-test/web&tag=v2&digest=sha256:..};
 *       {@code POST /_localaws/ecr-images/test-env} (optional {@code envFile}) → {@code {"tags"}}.
 * </ul>
 *
 * Errors are HTTP 400 with a one-line text reason.
 *
 * <p><b>Adding a service:</b> one {@link dev.driftguard.testing.aws.AwsService} class, registered
 * in {@code LocalAws}'s constructor; JSON 1.1 services extend {@link
 * dev.driftguard.testing.aws.JsonService}, query-protocol ones {@code QueryService}.
 */
package dev.driftguard.testing.aws;
