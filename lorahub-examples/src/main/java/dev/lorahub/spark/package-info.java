/**
 * LoraHub over thousands of tasks on Apache Spark: {@link dev.lorahub.spark.SparkLearnJob} reads a
 * table of tasks (JSON Lines or Parquet, {@link dev.lorahub.spark.TaskTable}), runs each as one
 * Spark task with the settings of {@code lorahub learn} on a base model and modules cached once per
 * executor JVM, and writes one row per task ({@link dev.lorahub.spark.TaskOutcome}) plus each
 * composed adapter as a PEFT folder. Spark is a {@code provided} dependency: the cluster supplies it
 * and the {@code lorahub} command line does not carry it. See docs/spark.md.
 */
@NullMarked
package dev.lorahub.spark;

import org.jspecify.annotations.NullMarked;
