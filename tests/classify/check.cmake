# Runs governed-classify as its users do and holds it to its command-line promises: a usage
# error exits 2 with CLI11's message, --help exits 0, every line's answer is written out even
# when a later line is malformed or nested 100 000 deep (reported as that line's error, exit
# 1), and a key given with --redact-key appears nowhere in what it writes, the echoed id
# included — also when the key is followed by a file name.
#   cmake -DCLASSIFY=path/to/governed-classify -DWORK_DIR=scratch/dir -P check.cmake
file(MAKE_DIRECTORY ${WORK_DIR})
set(key "sk-proj-classifyCheckKey0123456789")
set(empty ${WORK_DIR}/empty.jsonl)
file(WRITE ${empty} "")

# run(<expected exit status> <args>...): runs the program on an empty standard input (so a
# file name taken for something else shows as missing output, never as a hang), leaving its
# output in `out` and `err`.
function(run expected)
  execute_process(COMMAND ${CLASSIFY} ${ARGN} INPUT_FILE ${empty}
                  OUTPUT_VARIABLE o ERROR_VARIABLE e RESULT_VARIABLE rc TIMEOUT 60)
  if(NOT rc STREQUAL "${expected}")
    message(FATAL_ERROR "governed-classify ${ARGN}: exit status ${rc}, expected ${expected}\nstdout: ${o}\nstderr: ${e}")
  endif()
  set(out "${o}" PARENT_SCOPE)
  set(err "${e}" PARENT_SCOPE)
endfunction()

# A 429 whose id and message carry the key, then two lines nested 100 000 deep, then a 401.
set(rate_limited [=[{"id": "req-KEY", "provider": "openai", "status": 429, "headers": {"retry-after": "7"}, "body": {"error": {"message": "Rate limit reached for key KEY", "code": "rate_limit_exceeded"}}}]=])
set(invalid_key [=[{"id": 2, "provider": "anthropic", "status": 401, "body": "{\"type\":\"error\",\"error\":{\"type\":\"authentication_error\",\"message\":\"invalid x-api-key KEY\"}}"}]=])
string(REPLACE "KEY" "${key}" rate_limited "${rate_limited}")
string(REPLACE "KEY" "${key}" invalid_key "${invalid_key}")
string(REPEAT "[" 100000 deep_arrays)
string(REPEAT [=[{"a":]=] 100000 deep_objects)
set(input ${WORK_DIR}/replies.jsonl)
file(WRITE ${input} "${rate_limited}\n${deep_arrays}\n${deep_objects}\n${invalid_key}\n")
set(good ${WORK_DIR}/good.jsonl)
file(WRITE ${good} "${rate_limited}\n${invalid_key}\n")

# Usage errors: 2, and CLI11 saying what was wrong.
run(2 --no-such-flag)
if(NOT err MATCHES "--no-such-flag")
  message(FATAL_ERROR "an unknown flag was not named: ${err}")
endif()
run(2 --redact-key)
run(2 ${WORK_DIR}/no-such-file.jsonl)
run(2 --max-depth 0 ${good})
run(0 --help)
if(NOT out MATCHES "--redact-key")
  message(FATAL_ERROR "--help does not describe --redact-key: ${out}")
endif()

# Every line answered, in order, the deep ones as errors; the key nowhere. The key comes
# before the file: the file is read, not taken as a second key.
run(1 --now 2024-03-26T20:00:00Z --redact-key ${key} ${input})
string(REPLACE ";" "," listable "${out}")  # a ';' in a message would split a CMake list
string(REGEX MATCHALL "[^\n]+" lines "${listable}")
list(LENGTH lines count)
if(NOT count EQUAL 4)
  message(FATAL_ERROR "expected 4 output lines, one per input line, got ${count}:\n${out}")
endif()
list(GET lines 0 first)
string(JSON kind GET "${first}" kind)
string(JSON id GET "${first}" id)
if(NOT kind MATCHES "^rate_limit")
  message(FATAL_ERROR "the first line is not a rate limit: ${first}")
endif()
if(NOT id STREQUAL "req-***")
  message(FATAL_ERROR "the first line's id is not redacted: ${first}")
endif()
foreach(i 1 2)
  list(GET lines ${i} deep)
  string(JSON line GET "${deep}" line)
  string(JSON error GET "${deep}" error)
  math(EXPR expected "${i} + 1")
  if(NOT line EQUAL expected OR NOT error MATCHES "deeper than")
    message(FATAL_ERROR "line ${expected}, nested 100 000 deep, is not reported as too deep: ${deep}")
  endif()
endforeach()
list(GET lines 3 last)
string(JSON kind GET "${last}" kind)
if(NOT kind STREQUAL "auth")
  message(FATAL_ERROR "the line after the deep ones was not classified: ${last}")
endif()
string(FIND "${out}${err}" "${key}" leaked)
if(NOT leaked EQUAL -1)
  message(FATAL_ERROR "the key given with --redact-key was written out:\n${out}${err}")
endif()

# Keys given twice, each with one value; every line well formed: 0.
run(0 --redact-key other-key-000000 --redact-key ${key} ${good})
string(FIND "${out}" "${key}" leaked)
if(NOT leaked EQUAL -1)
  message(FATAL_ERROR "the second --redact-key was not redacted:\n${out}")
endif()
