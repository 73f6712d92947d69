/**
 * A local AWS endpoint for tests ({@link dev.driftguard.testing.aws.LocalAws}): the JDK's HTTP
 * server on 127.0.0.1 speaking the protocols the AWS SDK sends, so the agent's real SDK clients run
 * against it through {@code agent.aws.endpoints}.
 *
 * <p><b>In a test:</b>
 *
 * <pre>{@code
 * try (LocalAws aws = LocalAws.builder().registryPasswordFromTestEnv().start();
 *     AwsClients clients = aws.newClients()) {
 *   aws.ssm().put("/driftguard/web_staging/image", image);
 *   aws.throttleNext("ssm", "GetParameters", 3);
 *   ...
 *   assertThat(aws.calls("ssm", "GetParameters")).isEqualTo(3);
 * }
 * }</pre>
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
 * present, and stops on SIGTERM. Knobs over HTTP: {@code GET /_localaws/health}, {@code GET
 * /_localaws/calls}, {@code POST /_localaws/reset-calls}, {@code POST
 * /_localaws/faults?service=ssm&operation=GetParameters&code=ThrottlingException&count=3}.
 *
 * <p><b>Adding a service</b> (EC2, ELBv2, IMDS): one {@link dev.driftguard.testing.aws.AwsService}
 * class each, registered in {@code LocalAws}'s constructor. JSON 1.1 services extend {@link
 * dev.driftguard.testing.aws.JsonService}; query-protocol services (EC2, ELBv2) accept requests by
 * the SigV4 signing name ({@link dev.driftguard.testing.aws.AwsRequest#signingName()}: {@code ec2},
 * {@code elasticloadbalancing}), read {@link
 * dev.driftguard.testing.aws.AwsRequest#formParameters()} and answer XML; IMDS accepts paths under
 * {@code /latest/} and overrides {@code requiresSignature()} to false.
 */
package dev.driftguard.testing.aws;
