/**
 * The embedded hub: a procedural suite of string tasks ({@link dev.lorahub.hub.TaskSuite}), a
 * character tokenizer ({@link dev.lorahub.hub.CharTokenizer}), exact-match scoring (through the
 * library's {@link dev.lorahub.eval.AnswerEval}), and the programs that build the hub (base model + LoRA pool +
 * held-out data) and run the demo.
 */
@NullMarked
package dev.lorahub.hub;

import org.jspecify.annotations.NullMarked;
