package dev.lorahub.spi;

import dev.lorahub.LoraModule;
import dev.lorahub.model.BaseModel;
import java.util.Set;

/**
 * A {@link BaseModel} that also gives the gradient of its loss with respect to its targetable
 * linear weights: what gradient-based weight learning ({@link dev.lorahub.GradientOptimizer})
 * needs. Optional: LoraHub checks for it with {@code instanceof} and gradient-free optimizers never
 * use it.
 *
 * <p>Why the gradient with respect to the base weight is enough: with exact (CAT) composition the
 * model runs with {@code W_l + sum_i w_i s_i B_il A_il} for every targeted layer {@code l}, so
 * {@code dloss/dw_i = sum_l <dloss/dW_l, s_i B_il A_il>} (Frobenius product), computed in core for
 * every module at once from one backward pass.
 *
 * <p>Contract: the same adapter application, forward and restore as {@link #loss(LoraModule,
 * EncodedBatch)}, plus one backward pass; the base weights are bit-exact afterwards and carry no
 * gradient state into the next call.
 */
public interface DifferentiableModel extends BaseModel {
    /**
     * The loss of {@link #loss(LoraModule, EncodedBatch)} and its gradient with respect to each
     * requested base weight, evaluated at the weights plus the adapter's update.
     *
     * @param adapter the (composed) adapter applied for the evaluation; a module without layers
     *     means the plain base model
     * @param batch a batch from {@link #encode(java.util.List)}
     * @param modulePaths the linear modules (keys of {@link #linearModules()}) whose weight
     *     gradients are wanted
     * @return the loss and {@code dloss/dW} per requested path, laid out as the stored weight
     *     ({@code [out, in]} row-major, {@code [in, out]} for a {@code fan_in_fan_out} layer)
     * @throws IllegalArgumentException if a path is not a linear module of the model, or the
     *     adapter does not fit the model
     */
    LossGradient lossGradient(LoraModule adapter, EncodedBatch batch, Set<String> modulePaths);
}
