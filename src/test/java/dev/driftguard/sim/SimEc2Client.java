package dev.driftguard.sim;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import software.amazon.awssdk.services.ec2.Ec2Client;
import software.amazon.awssdk.services.ec2.model.CreateTagsRequest;
import software.amazon.awssdk.services.ec2.model.CreateTagsResponse;
import software.amazon.awssdk.services.ec2.model.DeleteTagsRequest;
import software.amazon.awssdk.services.ec2.model.DeleteTagsResponse;
import software.amazon.awssdk.services.ec2.model.DescribeTagsRequest;
import software.amazon.awssdk.services.ec2.model.DescribeTagsResponse;
import software.amazon.awssdk.services.ec2.model.Ec2Exception;
import software.amazon.awssdk.services.ec2.model.Filter;
import software.amazon.awssdk.services.ec2.model.ResourceType;
import software.amazon.awssdk.services.ec2.model.Tag;
import software.amazon.awssdk.services.ec2.model.TagDescription;

/**
 * EC2 tags as the agent's adapters use them: CreateTags and DeleteTags on instances (mutating
 * bucket), DescribeTags with {@code resource-type}, {@code key} and {@code value} filters
 * (non-mutating bucket), answering from lagged tags in one page. Throttling is {@code
 * RequestLimitExceeded} (HTTP 503).
 */
public final class SimEc2Client implements Ec2Client {
  private final SimAws aws;

  public SimEc2Client(SimAws aws) {
    this.aws = aws;
  }

  private void admit(String operation, ApiLimit limit) {
    aws.admit(
        "ec2:" + operation,
        limit.name(),
        null,
        1,
        () ->
            SimAws.error(
                Ec2Exception.builder(),
                "Ec2",
                503,
                "RequestLimitExceeded",
                "Request limit exceeded."));
  }

  @Override
  public CreateTagsResponse createTags(CreateTagsRequest request) {
    admit("CreateTags", ApiLimit.EC2_MUTATE);
    for (String resource : request.resources()) {
      for (Tag tag : request.tags()) {
        aws.writeTag(resource, tag.key(), tag.value() == null ? "" : tag.value());
      }
    }
    return CreateTagsResponse.builder().build();
  }

  @Override
  public DeleteTagsResponse deleteTags(DeleteTagsRequest request) {
    admit("DeleteTags", ApiLimit.EC2_MUTATE);
    for (String resource : request.resources()) {
      for (Tag tag : request.tags()) {
        aws.writeTag(resource, tag.key(), null);
      }
    }
    return DeleteTagsResponse.builder().build();
  }

  @Override
  public DescribeTagsResponse describeTags(DescribeTagsRequest request) {
    admit("DescribeTags", ApiLimit.EC2_DESCRIBE);
    List<String> keys = null;
    List<String> values = null;
    for (Filter f : request.filters()) {
      if (f.name().equals("key")) {
        keys = f.values();
      } else if (f.name().equals("value")) {
        values = f.values();
      }
    }
    long now = aws.scheduler.now();
    List<TagDescription> out = new ArrayList<>();
    for (String key : keys == null ? aws.tags.keySet() : keys) {
      Map<String, Lagged<String>> byInstance = aws.tags.getOrDefault(key, Map.of());
      for (Map.Entry<String, Lagged<String>> e : new TreeMap<>(byInstance).entrySet()) {
        String value = e.getValue().read(now);
        if (value != null && (values == null || values.contains(value))) {
          out.add(
              TagDescription.builder()
                  .resourceId(e.getKey())
                  .resourceType(ResourceType.INSTANCE)
                  .key(key)
                  .value(value)
                  .build());
        }
      }
    }
    return DescribeTagsResponse.builder().tags(out).build();
  }

  @Override
  public String serviceName() {
    return SERVICE_NAME;
  }

  @Override
  public void close() {}
}
