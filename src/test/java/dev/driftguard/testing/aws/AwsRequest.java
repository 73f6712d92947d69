package dev.driftguard.testing.aws;

import com.sun.net.httpserver.Headers;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/** One HTTP request as a service handler sees it. */
public record AwsRequest(String method, String path, String query, Headers headers, byte[] body) {

  /** The first value of a header (names are case-insensitive). */
  public Optional<String> header(String name) {
    return Optional.ofNullable(headers.getFirst(name));
  }

  public String bodyText() {
    return new String(body, StandardCharsets.UTF_8);
  }

  /**
   * The signing name in a SigV4 {@code Authorization} header's credential scope ({@code
   * Credential=AKID/20240101/us-east-1/ssm/aws4_request}), which tells query-protocol services
   * (EC2, ELBv2) apart as AWS's own front ends do.
   */
  public Optional<String> signingName() {
    return credentialScope(3);
  }

  /**
   * The region in the SigV4 credential scope: the region the client was built for, which on AWS is
   * the regional endpoint the request went to ({@code ecr.eu-west-1.amazonaws.com}). Here every
   * region shares one URL, so this is how a service tells them apart.
   */
  public Optional<String> signingRegion() {
    return credentialScope(2);
  }

  private Optional<String> credentialScope(int index) {
    return header("Authorization")
        .flatMap(
            auth -> {
              int at = auth.indexOf("Credential=");
              if (at < 0) {
                return Optional.empty();
              }
              String[] scope =
                  auth.substring(at + "Credential=".length()).split("[,\\s]")[0].split("/");
              return scope.length >= 5 ? Optional.of(scope[index]) : Optional.empty();
            });
  }

  /**
   * The {@code application/x-www-form-urlencoded} body the query protocol (EC2, ELBv2) sends:
   * {@code Action=RegisterTargets&Version=2015-12-01&TargetGroupArn=...&Targets.member.1.Id=...}.
   */
  public Map<String, String> formParameters() {
    Map<String, String> parameters = new LinkedHashMap<>();
    String form = bodyText();
    if (form.isEmpty()) {
      return parameters;
    }
    for (String pair : form.split("&")) {
      int eq = pair.indexOf('=');
      String key = eq < 0 ? pair : pair.substring(0, eq);
      String value = eq < 0 ? "" : pair.substring(eq + 1);
      parameters.put(
          URLDecoder.decode(key, StandardCharsets.UTF_8),
          URLDecoder.decode(value, StandardCharsets.UTF_8));
    }
    return parameters;
  }
}
