package dev.driftguard.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.driftguard.model.InvalidValueException;
import java.net.URI;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ListenAddressTest {

  @Test
  void parse_ipv4AndIpv6AndName_read() {
    assertThat(ListenAddress.parse("0.0.0.0:10027")).isEqualTo(new ListenAddress("0.0.0.0", 10027));
    assertThat(ListenAddress.parse("[::1]:9274")).isEqualTo(new ListenAddress("::1", 9274));
    assertThat(ListenAddress.parse("localhost:0")).isEqualTo(new ListenAddress("localhost", 0));
    assertThat(new ListenAddress("::1", 9274).toString()).isEqualTo("[::1]:9274");
  }

  @Test
  void parse_whenMalformed_explains() {
    assertThatThrownBy(() -> ListenAddress.parse("10027"))
        .isInstanceOf(InvalidValueException.class)
        .hasMessageContaining("is not HOST:PORT");
    assertThatThrownBy(() -> ListenAddress.parse("::1:9274"))
        .hasMessageContaining("IPv6 address in brackets");
    assertThatThrownBy(() -> ListenAddress.parse("host:port")).hasMessageContaining("no port");
    assertThatThrownBy(() -> ListenAddress.parse("0.0.0.0:70000"))
        .hasMessage("port must be 0..65535, not 70000");
    assertThatThrownBy(() -> ListenAddress.parse(":10027")).hasMessageContaining("needs a host");
  }

  @Test
  void isLoopback_onlyForLoopbackAddresses() {
    assertThat(ListenAddress.parse("127.0.0.1:1").isLoopback()).isTrue();
    assertThat(ListenAddress.parse("127.1.2.3:1").isLoopback()).isTrue();
    assertThat(ListenAddress.parse("[::1]:1").isLoopback()).isTrue();
    assertThat(ListenAddress.parse("LOCALHOST:1").isLoopback()).isTrue();
    assertThat(ListenAddress.parse("0.0.0.0:1").isLoopback()).isFalse();
    assertThat(ListenAddress.parse("[::]:1").isLoopback()).isFalse();
    assertThat(ListenAddress.parse("10.0.0.1:1").isLoopback()).isFalse();
    assertThat(ListenAddress.parse("localhost.example.com:1").isLoopback())
        .as("names are never resolved")
        .isFalse();
  }

  @Test
  void awsSettings_endpoint_rejectsUnknownService() {
    AwsSettings aws =
        new AwsSettings(null, null, Map.of("ssm", URI.create("http://127.0.0.1:4566")));

    assertThat(aws.endpoint("ssm")).contains(URI.create("http://127.0.0.1:4566"));
    assertThat(aws.endpoint("ecr")).isEmpty();
    assertThatThrownBy(() -> aws.endpoint("s3")).isInstanceOf(IllegalArgumentException.class);
  }
}
