/**
 * Gradient-free optimizers for LoraHub's tiny budgets, by name through {@link
 * dev.lorahub.optim.Optimizers}: COBYLA as nevergrad's NGOpt runs it (the reference), BOBYQA,
 * CMA-ES, (1+1)-ES, random search and the quadratic-model trust-region method that is the measured
 * default. Every one runs in ask/tell form ({@link dev.lorahub.optim.Session}) so a backend can
 * score candidates in batches, and reports progress to an {@link
 * dev.lorahub.optim.OptimizationListener}. Figures and the choice of default: docs/optimizers.md.
 */
@NullMarked
package dev.lorahub.optim;

import org.jspecify.annotations.NullMarked;
