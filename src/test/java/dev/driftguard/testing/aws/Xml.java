package dev.driftguard.testing.aws;

import java.nio.charset.StandardCharsets;

/**
 * A tiny XML writer for the query-protocol answers (EC2, ELBv2): elements are opened and closed in
 * order and text is escaped, which is all the SDK's XML unmarshaller needs.
 */
final class Xml {
  private final StringBuilder out = new StringBuilder("<?xml version=\"1.0\" encoding=\"UTF-8\"?>");

  /** Opens the root element with its namespace. */
  Xml(String root, String namespace) {
    out.append('<').append(root).append(" xmlns=\"").append(namespace).append("\">");
  }

  Xml open(String name) {
    out.append('<').append(name).append('>');
    return this;
  }

  Xml close(String name) {
    out.append("</").append(name).append('>');
    return this;
  }

  /** {@code <name>text</name>}; nothing when {@code text} is null (an absent member). */
  Xml leaf(String name, Object text) {
    if (text != null) {
      open(name);
      escape(text.toString());
      close(name);
    }
    return this;
  }

  byte[] bytes() {
    return out.toString().getBytes(StandardCharsets.UTF_8);
  }

  @Override
  public String toString() {
    return out.toString();
  }

  private void escape(String s) {
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      switch (c) {
        case '<' -> out.append("&lt;");
        case '>' -> out.append("&gt;");
        case '&' -> out.append("&amp;");
        case '"' -> out.append("&quot;");
        case '\'' -> out.append("&apos;");
        default -> out.append(c);
      }
    }
  }
}
