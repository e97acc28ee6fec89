package dev.flywheel.agent;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;

/**
 * The agent's one Jackson configuration, for tool arguments, tool results and the transcript. A tool result may
 * hold a record with no properties; it is written as {} rather than failing the tool call. (The SDKs' own types
 * go through the SDKs' mappers.)
 */
final class Json {

    private Json() {
    }

    static final ObjectMapper MAPPER = JsonMapper.builder().disable(SerializationFeature.FAIL_ON_EMPTY_BEANS).build();
}
