#pragma once
// Successful replies that carry what a text reply does not — tool calls, refusals, reasoning,
// several choices — in each provider's shape, for the reply readers' tests
// (tests/dialect/reply.cpp, tests/dialect/reply_tools.cpp) and their benchmark.
//
// Shapes from the providers' API references; ids, names and arguments as the references' own
// examples write them:
//   OpenAI chat completions — https://platform.openai.com/docs/api-reference/chat/object
//     (`message.tool_calls[].function.arguments` is a string; `refusal`; `finish_reason`),
//     and https://platform.openai.com/docs/guides/function-calling (parallel calls);
//   DeepSeek — https://api-docs.deepseek.com/guides/reasoning_model (`reasoning_content`);
//   Anthropic messages — https://docs.anthropic.com/en/docs/build-with-claude/tool-use
//     (`tool_use` blocks, `stop_reason: "tool_use"`) and
//     https://docs.anthropic.com/en/docs/build-with-claude/extended-thinking
//     (`thinking` with `signature`, `redacted_thinking` with `data`);
//   Gemini — https://ai.google.dev/gemini-api/docs/function-calling (`functionCall` parts,
//     parallel calls without ids) and https://ai.google.dev/gemini-api/docs/thinking
//     (`thought: true` parts, `thoughtSignature`).

#include <string>

namespace tool_replies {

// Three parallel calls (~2 KB with the usage block), the reference's parallel-call example.
inline const std::string openai_three_calls =
    R"({"id":"chatcmpl-BVtQwHr8F0pOLn2wBZR4KEnuaU4vq","object":"chat.completion","created":1746976552,)"
    R"("model":"gpt-4.1-2025-04-14","choices":[{"index":0,"message":{"role":"assistant","content":null,)"
    R"("tool_calls":[{"id":"call_12345xyz","type":"function","function":{"name":"get_weather",)"
    R"("arguments":"{\"location\":\"Paris, France\",\"unit\":\"celsius\"}"}},)"
    R"({"id":"call_67890abc","type":"function","function":{"name":"get_weather",)"
    R"("arguments":"{\"location\":\"Bogotá, Colombia\",\"unit\":\"celsius\"}"}},)"
    R"({"id":"call_99999def","type":"function","function":{"name":"send_email",)"
    R"("arguments":"{\"to\":\"bob@email.com\",\"body\":\"Hi bob, the forecast for Paris is 18°C with light rain )"
    R"(in the afternoon; Bogotá stays at 14°C, overcast, with a chance of drizzle after six. Pack an umbrella )"
    R"(for both, and a light jacket for the evening flights. I will send the itinerary once the hotel confirms.\",)"
    R"(\"subject\":\"Weather for the trip\",\"cc\":[\"alice@email.com\",\"carol@email.com\"],)"
    R"(\"attachments\":[{\"name\":\"itinerary-draft.pdf\",\"size\":48213},{\"name\":\"map.png\",\"size\":120344}]}"}}],)"
    R"("refusal":null,"annotations":[]},"logprobs":null,"finish_reason":"tool_calls"}],)"
    R"("usage":{"prompt_tokens":487,"completion_tokens":211,"total_tokens":698,)"
    R"("prompt_tokens_details":{"cached_tokens":384,"audio_tokens":0},)"
    R"("completion_tokens_details":{"reasoning_tokens":0,"audio_tokens":0,"accepted_prediction_tokens":0,)"
    R"("rejected_prediction_tokens":0}},"service_tier":"default","system_fingerprint":"fp_b3f1157249"})";

// Two choices (n = 2): a refusal, and a call whose arguments the model did not write as JSON.
inline const std::string openai_refusal_and_bad_arguments =
    R"({"id":"chatcmpl-refusal-1","object":"chat.completion","created":1746976552,"model":"gpt-4o-2024-08-06",)"
    R"("choices":[{"index":0,"message":{"role":"assistant","content":null,)"
    R"("refusal":"I'm sorry, I cannot help with that request."},"logprobs":null,"finish_reason":"stop"},)"
    R"({"index":1,"message":{"role":"assistant","content":"Calling it.","tool_calls":[{"id":"call_bad",)"
    R"("type":"function","function":{"name":"lookup","arguments":"{\"city\": \"Paris\""}}]},)"
    R"("logprobs":null,"finish_reason":"tool_calls"}],"usage":{"prompt_tokens":20,"completion_tokens":12}})";

// DeepSeek's reasoner: the reasoning beside the answer.
inline const std::string deepseek_reasoning =
    R"({"id":"930c60df-bf64-41c9-a88e-3ec75f81e00e","object":"chat.completion","created":1737521436,)"
    R"("model":"deepseek-reasoner","choices":[{"index":0,"message":{"role":"assistant","content":"9.11 < 9.8",)"
    R"("reasoning_content":"Compare the tenths: 1 < 8."},"logprobs":null,"finish_reason":"length"}],)"
    R"("usage":{"prompt_tokens":17,"completion_tokens":120,"completion_tokens_details":{"reasoning_tokens":100}}})";

// The tool-use reference's reply, with the extended-thinking page's blocks before it.
inline const std::string anthropic_tool_use =
    R"({"id":"msg_01Aq9w938a90dw8q","model":"claude-sonnet-4-20250514","stop_reason":"tool_use","role":"assistant",)"
    R"("type":"message","content":[{"type":"thinking","thinking":"The user wants the weather; call get_weather.",)"
    R"("signature":"WaUjzkypQ2mUEVM36O2TxuC06KN8xyfbJwyem2dw3URve/op91XWHOEBLLqIOMfFG/UvLEczmEsUjavL"},)"
    R"({"type":"redacted_thinking","data":"EmwKAhgBEgy3va3pzix/LafPsn4aDFIT2Xlxh0L5L8rLVyIwxtE3rAFBa8cr3qpP"},)"
    R"({"type":"text","text":"I'll check the current weather in San Francisco for you."},)"
    R"({"type":"tool_use","id":"toolu_01A09q90qw90lq917835lq9","name":"get_weather",)"
    R"("input":{"unit":"celsius","location":"San Francisco, CA","days":[1,2.5,true,null,{"b":1,"a":[]}]}}],)"
    R"("stop_sequence":null,"usage":{"input_tokens":512,"output_tokens":87,"cache_read_input_tokens":0,)"
    R"("cache_creation_input_tokens":0}})";

// Two parallel calls without ids, a thought summary with its signature, two candidates.
inline const std::string gemini_function_calls =
    R"({"candidates":[{"content":{"parts":[{"text":"The user asks for both lights.","thought":true,)"
    R"("thoughtSignature":"CiQB0e2Kb7Nw"},{"functionCall":{"name":"power_disco_ball","args":{"power":true}},)"
    R"("thoughtSignature":"CiwB0e2Kb0Q1"},{"functionCall":{"name":"dim_lights","args":{"brightness":0.5}}}],)"
    R"("role":"model"},"finishReason":"STOP","index":0},{"content":{"parts":[{"functionCall":)"
    R"({"id":"fc-77","name":"start_music","args":{"energetic":true,"loud":false}}},{"text":"Starting."}],)"
    R"("role":"model"},"finishReason":"MAX_TOKENS","index":1}],"usageMetadata":{"promptTokenCount":120,)"
    R"("candidatesTokenCount":40,"thoughtsTokenCount":25,"totalTokenCount":185},"modelVersion":"gemini-2.5-flash",)"
    R"("responseId":"Il0taoSYJ5Cez7"})";

}  // namespace tool_replies
