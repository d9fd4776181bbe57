# Runs governed-demo --replicas 3 on a small workload and holds its JSON to the promise of
# limits shared in Redis: three processes sharing one provider limit through Redis complete
# every task and receive no 429, while three processes each limiting on their own, on the same
# workload and limits, overrun the limit (which shows the workload does press on it).
#   cmake -DDEMO=path/to/governed-demo -P replicas.cmake
execute_process(COMMAND ${DEMO} --json --replicas 3 --users 6
                OUTPUT_VARIABLE out ERROR_VARIABLE err RESULT_VARIABLE rc TIMEOUT 300)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "governed-demo --replicas 3 exited with ${rc}: ${err}")
endif()

string(JSON replicas GET "${out}" workload replicas)
string(JSON tasks GET "${out}" workload tasks)
string(JSON clients LENGTH "${out}" clients)
if(NOT replicas EQUAL 3 OR NOT clients EQUAL 2)
  message(FATAL_ERROR "expected two groups of 3 replicas:\n${out}")
endif()

string(JSON name GET "${out}" clients 0 client)
string(JSON overrun GET "${out}" clients 0 rate_limited_429)
if(NOT name STREQUAL "in memory")
  message(FATAL_ERROR "the first group should keep its State in memory, it is \"${name}\"")
endif()
if(overrun EQUAL 0)
  message(FATAL_ERROR "three replicas limiting on their own received no 429: the workload does not test sharing:\n${out}")
endif()

string(JSON name GET "${out}" clients 1 client)
string(JSON done GET "${out}" clients 1 tasks_completed)
string(JSON rejected GET "${out}" clients 1 rate_limited_429)
string(JSON sent GET "${out}" clients 1 requests_sent)
if(NOT name STREQUAL "in Redis")
  message(FATAL_ERROR "the second group should keep its State in Redis, it is \"${name}\"")
endif()
if(NOT done EQUAL tasks OR NOT rejected EQUAL 0 OR sent EQUAL 0)
  message(FATAL_ERROR "three replicas sharing Redis: ${done}/${tasks} tasks, ${rejected} 429s, ${sent} requests:\n${out}")
endif()
message(STATUS "3 replicas: in memory ${overrun} 429s; in Redis ${tasks}/${tasks} tasks, 0 429s")
