package dev.lorahub.djl.tokenizers;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.lorahub.djl.ModelFormatException;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Chat templates rendered by Jinjava as transformers renders them with Jinja. The expected strings
 * were rendered by Jinja2 3.1.6 in an {@code ImmutableSandboxedEnvironment(trim_blocks=True,
 * lstrip_blocks=True)}, transformers' settings for {@code apply_chat_template}, with {@code
 * messages=[{"role": "user", "content": ...}]}, {@code add_generation_prompt=True}, {@code
 * eos_token="</s>"} and {@code bos_token=""}.
 */
class ChatTemplateTest {
    private static final Path FILE = Path.of("model", "tokenizer_config.json");

    /** Zephyr's template (HuggingFaceH4/zephyr-7b-beta), line breaks and all. */
    static final String ZEPHYR =
            "{% for message in messages %}\n"
                    + "{% if message['role'] == 'user' %}\n"
                    + "{{ '<|user|>\\n' + message['content'] + eos_token }}\n"
                    + "{% elif message['role'] == 'system' %}\n"
                    + "{{ '<|system|>\\n' + message['content'] + eos_token }}\n"
                    + "{% elif message['role'] == 'assistant' %}\n"
                    + "{{ '<|assistant|>\\n'  + message['content'] + eos_token }}\n"
                    + "{% endif %}\n"
                    + "{% if loop.last and add_generation_prompt %}\n"
                    + "{{ '<|assistant|>' }}\n"
                    + "{% endif %}\n"
                    + "{% endfor %}\n";

    /** Llama 2 chat's template (meta-llama/Llama-2-7b-chat-hf). */
    static final String LLAMA2 =
            "{% if messages[0]['role'] == 'system' %}{% set loop_messages = messages[1:] %}{% set"
                    + " system_message = messages[0]['content'] %}{% else %}{% set loop_messages ="
                    + " messages %}{% set system_message = false %}{% endif %}{% for message in"
                    + " loop_messages %}{% if (message['role'] == 'user') != (loop.index0 % 2 == 0)"
                    + " %}{{ raise_exception('Conversation roles must alternate"
                    + " user/assistant/user/assistant/...') }}{% endif %}{% if loop.index0 == 0 and"
                    + " system_message != false %}{% set content = '<<SYS>>\\n' + system_message +"
                    + " '\\n<</SYS>>\\n\\n' + message['content'] %}{% else %}{% set content ="
                    + " message['content'] %}{% endif %}{% if message['role'] == 'user' %}{{"
                    + " bos_token + '[INST] ' + content.strip() + ' [/INST]' }}{% elif"
                    + " message['role'] == 'assistant' %}{{ ' '  + content.strip() + ' ' +"
                    + " eos_token }}{% endif %}{% endfor %}";

    @Test
    void zephyr_renders_the_user_turn_and_the_generation_prompt_as_jinja_does() {
        ChatTemplate t = ChatTemplate.of(ZEPHYR, FILE, Map.of("eos_token", "</s>"));

        assertThat(t.prompt("abc")).isEqualTo("<|user|>\nabc</s>\n<|assistant|>\n");
        assertThat(t.answer("cba")).isEqualTo("cba");
    }

    @Test
    void llama2_renders_with_bos_left_to_the_tokenizer() {
        ChatTemplate t = ChatTemplate.of(LLAMA2, FILE, Map.of("bos_token", "<s>"));

        assertThat(t.prompt("  abc ")).isEqualTo("[INST] abc [/INST]");
    }

    @Test
    void raise_exception_in_a_template_is_a_format_error_naming_the_file_and_message() {
        ChatTemplate t =
                ChatTemplate.of("{{ raise_exception('only system turns') }}", FILE, Map.of());

        assertThatThrownBy(() -> t.prompt("abc"))
                .isInstanceOf(ModelFormatException.class)
                .hasMessageStartingWith(
                        FILE + ": 'chat_template' failed to render for input \"abc\"")
                .hasMessageContaining("only system turns");
    }
}
