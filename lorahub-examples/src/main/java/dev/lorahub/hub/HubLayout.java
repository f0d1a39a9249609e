package dev.lorahub.hub;

import java.nio.file.Path;

/**
 * Where a hub's files live under its root folder (committed at {@code lorahub-examples/hub/}):
 *
 * <pre>
 * hub.json                      scale, seeds, task lists (reproducible; no timings)
 * base/                         config.json, model.safetensors, tokenizer.json
 * modules/&lt;task&gt;/               one PEFT adapter per pool task
 * held-out/&lt;task&gt;/train.jsonl    few-shot pool and ceiling training data
 * held-out/&lt;task&gt;/test.jsonl     exact-match test set (inputs disjoint from train)
 * ceilings/&lt;task&gt;/              a LoRA trained on train.jsonl (the demo's lora_full row)
 * </pre>
 *
 * @param root the hub folder
 */
public record HubLayout(Path root) {
    /**
     * @return the manifest
     */
    public Path manifest() {
        return root.resolve("hub.json");
    }

    /**
     * @return the base model folder
     */
    public Path base() {
        return root.resolve("base");
    }

    /**
     * @param task a pool task @return its module folder
     */
    public Path module(String task) {
        return root.resolve("modules").resolve(task);
    }

    /**
     * @param task a held-out task @return its training examples
     */
    public Path heldOutTrain(String task) {
        return root.resolve("held-out").resolve(task).resolve("train.jsonl");
    }

    /**
     * @param task a held-out task @return its test examples
     */
    public Path heldOutTest(String task) {
        return root.resolve("held-out").resolve(task).resolve("test.jsonl");
    }

    /**
     * @param task a held-out task @return its ceiling module folder
     */
    public Path ceiling(String task) {
        return root.resolve("ceilings").resolve(task);
    }
}
