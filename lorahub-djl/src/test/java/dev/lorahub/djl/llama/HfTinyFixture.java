package dev.lorahub.djl.llama;

import dev.lorahub.djl.HfTinyReference;
import java.io.IOException;

/** Reads the hf-tiny/llama fixture: inputs, references, and PEFT adapters. */
final class HfTinyFixture extends HfTinyReference {
    HfTinyFixture() throws IOException {
        super("hf-tiny/llama");
    }
}
