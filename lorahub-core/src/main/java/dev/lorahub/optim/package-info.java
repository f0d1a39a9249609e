/**
 * Gradient-free optimizers for LoraHub's tiny budgets: COBYLA as nevergrad's NGOpt runs it, BOBYQA,
 * CMA-ES, (1+1)-ES, random search and the measured default.
 */
@NullMarked
package dev.lorahub.optim;

import org.jspecify.annotations.NullMarked;
