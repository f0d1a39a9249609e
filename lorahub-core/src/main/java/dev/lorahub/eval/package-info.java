/**
 * Judging an adapter by its answers: {@link dev.lorahub.eval.AnswerEval} generates an answer for
 * every example of a test set with a base model and an adapter (batched greedy decoding) and scores
 * them by {@link dev.lorahub.eval.ExactMatch}, reporting progress to an {@link
 * dev.lorahub.eval.EvalListener}; the {@link dev.lorahub.eval.EvalReport} is written as JSON and
 * CSV. The CLI's {@code lorahub eval} and the demo use it.
 */
@NullMarked
package dev.lorahub.eval;

import org.jspecify.annotations.NullMarked;
