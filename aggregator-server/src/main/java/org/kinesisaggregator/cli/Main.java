package org.kinesisaggregator.cli;

/** Entry point of the {@code kinesis-aggregator} command. */
public final class Main {
  private Main() {}

  public static void main(String[] args) {
    System.out.println("kinesis-aggregator (skeleton)");
  }
}
