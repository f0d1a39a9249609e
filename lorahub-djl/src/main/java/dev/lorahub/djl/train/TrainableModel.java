package dev.lorahub.djl.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import dev.lorahub.spi.LinearShape;
import java.util.Map;

/**
 * A causal language model whose forward DJL autograd can differentiate: what {@link LoraTrainer}
 * and {@link Pretrainer} need from a model family.
 */
public interface TrainableModel {
    /**
     * @return the manager that owns the parameters
     */
    NDManager manager();

    /**
     * @return every linear layer an adapter may target, by PEFT module path (e.g. {@code
     *     model.layers.0.self_attn.q_proj}), in model order
     */
    Map<String, LinearShape> linearModules();

    /**
     * @return every base parameter by Hugging Face name; the arrays are the model's own
     */
    Map<String, NDArray> parameters();

    /**
     * The forward pass, differentiable with respect to the parameters and the LoRA factors. Results
     * live in the manager of {@code inputIds} (a per-step sub-manager of the caller).
     *
     * @param inputIds {@code [B, T]} int64, right-padded
     * @param lora factors per module path (may be empty): {@code y += scaling * (x A^T) B^T}
     * @return logits {@code [B, T, V]} float32
     */
    NDArray logits(NDArray inputIds, Map<String, LoraPair> lora);
}
