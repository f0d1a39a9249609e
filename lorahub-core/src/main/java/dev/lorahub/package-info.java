/**
 * The public vocabulary of lorahub: {@link dev.lorahub.LoraModule} (a PEFT LoRA adapter in memory),
 * {@link dev.lorahub.LoraLayer} (one targeted linear layer's low-rank factors), the LoraHub fluent
 * API, few-shot examples, results and the domain exceptions.
 */
@NullMarked
package dev.lorahub;

import org.jspecify.annotations.NullMarked;
